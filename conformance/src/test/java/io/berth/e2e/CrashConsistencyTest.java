package io.berth.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash consistency: Berth, started from its jar, is killed with SIGKILL while several clients push blobs and
 * keep re-pointing tags, then restarted on the same storage directory, several rounds in a row. After every
 * restart the test checks that nothing acknowledged was lost or damaged:
 *
 * <ul>
 *   <li>every blob acknowledged with 201 is served, with its length and a sha256 equal to its digest;
 *   <li>every manifest acknowledged with 201 is served by digest, with a sha256 equal to that digest;
 *   <li>every tag resolves to the manifest of its last acknowledged PUT, or to the one whose PUT was in flight
 *       when Berth was killed; never to an older acknowledged one, never to nothing, never to garbage;
 *   <li>tags/list and the catalog answer 200 with valid JSON that agrees with the tags;
 *   <li>no request, during the load or after, gets a 5xx;
 *   <li>on disk, every {@code blobs/sha256/xx/<hex>/data} hashes to {@code <hex>} and every link file holds a
 *       whole digest (the revision and layer links their own).
 * </ul>
 *
 * <p>Each tag is written by one client only, one PUT at a time, so "last acknowledged" is well defined: at a
 * kill at most one PUT per tag is in flight, and its outcome may go either way.
 *
 * <p><b>What this does not test.</b> SIGKILL ends the process, not the machine: the kernel's page cache
 * survives, and whatever Berth had written, fsynced or not, is still there for the restarted process. So this
 * checks atomicity (no torn, empty or half-renamed file is ever visible, no acknowledged write is undone by a
 * later crash), not durability: it cannot tell whether Berth's fsyncs (file, then directory after the rename)
 * are in the right places. That needs a power-loss test (a VM or a fault-injecting block device), which is out
 * of scope here.
 *
 * <p>The random choices (blob sizes, upload forms, kill moments) come from one seed, printed at the start;
 * {@code -Dberth.crash.seed=N} repeats them (the interleaving with the kill still varies).
 * {@code conformance/bench/crash-compare.sh} runs the same kind of kill loop against Berth and distribution.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CrashConsistencyTest {
  private static final String REPO = "team/app";
  private static final int WRITERS = 4;
  private static final int TAGS_PER_WRITER = 3;
  /** Kill/restart rounds; {@code -Dberth.crash.rounds=N} for a longer soak (about 2 s a round). */
  private static final int ROUNDS = Integer.getInteger("berth.crash.rounds", 8);
  /** Acknowledged writes a round must have before the kill may come: the load is really running. */
  private static final int MIN_ACKS_BEFORE_KILL = 6;
  private static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
  private static final String CONFIG_TYPE = "application/vnd.oci.image.config.v1+json";
  private static final String LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar";
  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
  private static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension
  static final PrintLogsOnFailure LOGS = new PrintLogsOnFailure();

  @TempDir
  Path workDir;

  /** What clients were told, shared by the writers and the checks. */
  private final Map<String, Integer> ackedBlobs = new ConcurrentHashMap<>();
  private final Map<String, Integer> ackedManifests = new ConcurrentHashMap<>();
  private final Map<String, TagState> tags = new TreeMap<>();
  /** Everything that went wrong, with enough detail to find it; checked after every round. */
  private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
  /** Tag PUTs in flight at a kill, and how many of those the restarted Berth shows as applied. */
  private int tagPutsInFlight;
  private int tagPutsInFlightApplied;
  /** How long acknowledged tag PUTs took, to aim kills into them. */
  private final LongAdder tagPutNanos = new LongAdder();
  private final LongAdder tagPutCount = new LongAdder();

  /** One tag's history. Written by its one writer during a round, read by the test thread after it. */
  private static final class TagState {
    final String name;
    /** Digests whose PUT to this tag was acknowledged, oldest first. */
    final List<String> acked = new ArrayList<>();
    /** What the tag must resolve to unless a later PUT applied: the last acknowledged or last seen digest. */
    String current;
    /** PUTs sent since {@link #current} whose answer never came (Berth was killed). */
    final Set<String> inFlight = new LinkedHashSet<>();

    TagState(String name) {
      this.name = name;
    }
  }

  @Test
  void acknowledgedWritesSurviveSigkill() throws Exception {
    long seed = Long.getLong("berth.crash.seed", System.nanoTime());
    System.out.println("CrashConsistencyTest seed " + seed + " (-Dberth.crash.seed=" + seed + " repeats it)");
    Random random = new Random(seed);
    for (int i = 0; i < WRITERS * TAGS_PER_WRITER; i++) {
      tags.put("t" + i, new TagState("t" + i));
    }
    long started = System.nanoTime();
    BerthProcess berth = BerthProcess.start(Files.createDirectories(workDir.resolve("berth")));
    LOGS.watch("Berth", berth.logFile());
    int interruptedWrites = 0;
    try {
      for (int round = 1; round <= ROUNDS; round++) {
        RoundResult result = loadAndKill(berth, round, random);
        interruptedWrites += result.interrupted;
        berth = berth.restart();
        List<String> tmpLeftovers = verify(berth);
        System.out.printf("round %d: %d acknowledged writes, %d in flight at the kill; now %d blobs, %d manifests,"
                + " %d temporary files left by kills%n", round, result.acked, result.interrupted, ackedBlobs.size(),
            ackedManifests.size(), tmpLeftovers.size());
        if (!failures.isEmpty()) {
          fail("after kill " + round + " of " + ROUNDS + " (seed " + seed + "):\n  " + String.join("\n  ", failures));
        }
      }
    } finally {
      berth.close();
    }
    System.out.printf("CrashConsistencyTest: %d rounds in %.1f s; %d tag PUTs were in flight at a kill, %d of them"
            + " applied; a tag PUT took %.1f ms on average%n", ROUNDS, (System.nanoTime() - started) / 1e9,
        tagPutsInFlight, tagPutsInFlightApplied, tagPutNanos.sum() / 1e6 / Math.max(1, tagPutCount.sum()));
    // The checks above only mean something if kills did land on writes and tags were written.
    assertTrue(interruptedWrites > 0, "no write was in flight at any kill");
    assertTrue(tagPutsInFlight > 0, "no tag PUT was in flight at any kill");
    assertTrue(tags.values().stream().allMatch(t -> !t.acked.isEmpty()), "some tag was never written");
  }

  private record RoundResult(int acked, int interrupted) {}

  /** Runs the writers against {@code berth} and kills it with SIGKILL at a random moment while they write. */
  private RoundResult loadAndKill(BerthProcess berth, int round, Random random) throws Exception {
    AtomicInteger acked = new AtomicInteger();
    AtomicInteger interrupted = new AtomicInteger();
    Killing killing = new Killing();
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
    List<Future<?>> writers = new ArrayList<>();
    try {
      for (int w = 0; w < WRITERS; w++) {
        List<TagState> own = new ArrayList<>();
        for (int i = w; i < WRITERS * TAGS_PER_WRITER; i += WRITERS) {
          own.add(tags.get("t" + i));
        }
        Writer writer = new Writer(w, round, own, new Random(random.nextLong()), berth.hostPort(), killing, acked,
            interrupted);
        writers.add(pool.submit(() -> {
          writer.run();
          return null;
        }));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (acked.get() < MIN_ACKS_BEFORE_KILL && failures.isEmpty()) {
        if (System.nanoTime() > deadline) {
          fail("round " + round + ": only " + acked.get() + " writes acknowledged in 20 s");
        }
        Thread.sleep(5);
      }
      Thread.sleep(random.nextInt(300));
      // Aim at a tag PUT half the time: wait for one to be under way, then let a random part of the time a
      // tag PUT takes pass, so kills land anywhere in it (before, during and after the tag link's rename).
      if (random.nextBoolean()) {
        long aimDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (killing.tagPutsRunning.get() == 0 && System.nanoTime() < aimDeadline) {
          LockSupport.parkNanos(100_000);
        }
        long mean = tagPutCount.sum() == 0 ? 5_000_000 : tagPutNanos.sum() / tagPutCount.sum();
        LockSupport.parkNanos((long) (random.nextDouble() * 1.5 * mean));
      }
      killing.now = true;
      berth.kill();
      for (Future<?> f : writers) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    return new RoundResult(acked.get(), interrupted.get());
  }

  /** Shared by the test thread and a round's writers. */
  private static final class Killing {
    /** Set just before the SIGKILL: from then on an I/O error means the write was in flight. */
    volatile boolean now;
    /** Tag PUTs sent and not answered yet, so the kill can aim at one. */
    final AtomicInteger tagPutsRunning = new AtomicInteger();
  }

  /** One client: pushes blobs and manifests and re-points its own tags until Berth dies under it. */
  private final class Writer {
    private final int id;
    private final int round;
    private final List<TagState> own;
    private final Random random;
    private final URI base;
    private final Killing killing;
    private final AtomicInteger acked;
    private final AtomicInteger interrupted;
    private final HttpClient http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
    private final byte[] config;
    private final String configDigest;
    /** Manifests this writer had acknowledged, to re-point tags at an older one now and then. */
    private final List<byte[]> oldManifests = new ArrayList<>();
    private int seq;

    Writer(int id, int round, List<TagState> own, Random random, String hostPort, Killing killing,
        AtomicInteger acked, AtomicInteger interrupted) {
      this.id = id;
      this.round = round;
      this.own = own;
      this.random = random;
      this.base = URI.create("http://" + hostPort);
      this.killing = killing;
      this.acked = acked;
      this.interrupted = interrupted;
      this.config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"writer\":" + id + "}")
          .getBytes(StandardCharsets.UTF_8);
      this.configDigest = Digests.sha256(config);
    }

    void run() {
      try (http) {
        // Every round pushes the same config again: content that already exists, a link that is rewritten.
        if (!pushBlob(config)) {
          return;
        }
        while (!killing.now) {
          seq++;
          byte[] manifest;
          if (!oldManifests.isEmpty() && random.nextInt(3) == 0) {
            manifest = oldManifests.get(random.nextInt(oldManifests.size()));
          } else {
            byte[] layer = randomBlob();
            if (!pushBlob(layer)) {
              return;
            }
            manifest = manifest(layer);
          }
          if (random.nextInt(4) == 0 && !pushBlob(config)) {
            return;
          }
          // The least written of its tags next, so every tag gets written even when kills come early.
          TagState next = own.stream().min(java.util.Comparator.comparingInt(t -> t.acked.size())).orElseThrow();
          if (!putManifest(next, manifest)) {
            return;
          }
        }
      }
    }

    private byte[] randomBlob() {
      byte[] blob = new byte[1 + random.nextInt(16 * 1024)];
      random.nextBytes(blob);
      byte[] label = ("writer " + id + " round " + round + " blob " + seq + "\n").getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(label, 0, blob, 0, Math.min(label.length, blob.length));
      return blob;
    }

    private byte[] manifest(byte[] layer) {
      return ("{\"schemaVersion\":2,\"mediaType\":\"" + MANIFEST_TYPE + "\","
          + "\"config\":{\"mediaType\":\"" + CONFIG_TYPE + "\",\"digest\":\"" + configDigest + "\",\"size\":"
          + config.length + "},"
          + "\"layers\":[{\"mediaType\":\"" + LAYER_TYPE + "\",\"digest\":\"" + Digests.sha256(layer)
          + "\",\"size\":" + layer.length + "}],"
          + "\"annotations\":{\"io.berth.test\":\"writer " + id + " round " + round + " seq " + seq + "\"}}")
          .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Pushes a blob in one of three ways (monolithic POST, POST then PUT, POST PATCH PUT).
     *
     * @return false once Berth is gone or refused (then recorded as a failure): this writer stops
     */
    private boolean pushBlob(byte[] blob) {
      String digest = Digests.sha256(blob);
      HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.ofByteArray(blob);
      String what = "push of blob " + digest;
      try {
        HttpResponse<byte[]> done;
        switch (random.nextInt(3)) {
          case 0 -> done = send(request("/v2/" + REPO + "/blobs/uploads/?digest=" + digest)
              .header("Content-Type", "application/octet-stream").POST(body), what);
          case 1 -> {
            URI upload = startUpload(what);
            if (upload == null) {
              return false;
            }
            done = send(request(upload, "digest=" + digest)
                .header("Content-Type", "application/octet-stream").PUT(body), what);
          }
          default -> {
            URI upload = startUpload(what);
            if (upload == null) {
              return false;
            }
            HttpResponse<byte[]> patched = send(request(upload, null)
                .header("Content-Type", "application/octet-stream").method("PATCH", body), what);
            if (!expect(patched, 202, what + " (PATCH)")) {
              return false;
            }
            URI next = base.resolve(patched.headers().firstValue("Location").orElse(upload.getRawPath()));
            done = send(request(next, "digest=" + digest).PUT(HttpRequest.BodyPublishers.noBody()), what);
          }
        }
        if (!expect(done, 201, what)) {
          return false; // recorded; this writer stops, the round's checks fail
        }
        ackedBlobs.put(digest, blob.length);
        acked.incrementAndGet();
        return true;
      } catch (IOException e) {
        return gone(e, what);
      }
    }

    /** Starts an upload session; null (recorded as a failure) when Berth refuses. */
    private URI startUpload(String what) throws IOException {
      HttpResponse<byte[]> started = send(request("/v2/" + REPO + "/blobs/uploads/")
          .POST(HttpRequest.BodyPublishers.noBody()), what);
      if (!expect(started, 202, what + " (POST)")) {
        return null;
      }
      String location = started.headers().firstValue("Location").orElse(null);
      if (location == null) {
        failures.add(what + ": POST answered 202 without Location");
        return null;
      }
      return base.resolve(location);
    }

    /** PUTs the manifest to the tag, recording it as in flight until it is acknowledged. */
    private boolean putManifest(TagState tag, byte[] manifest) {
      String digest = Digests.sha256(manifest);
      String what = "PUT of " + digest + " to tag " + tag.name;
      tag.inFlight.add(digest);
      long sent = System.nanoTime();
      killing.tagPutsRunning.incrementAndGet();
      try {
        HttpResponse<byte[]> put;
        try {
          put = send(request("/v2/" + REPO + "/manifests/" + tag.name)
              .header("Content-Type", MANIFEST_TYPE).PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)), what);
        } finally {
          killing.tagPutsRunning.decrementAndGet();
        }
        tagPutNanos.add(System.nanoTime() - sent);
        tagPutCount.increment();
        if (!expect(put, 201, what)) {
          tag.inFlight.remove(digest);
          return false;
        }
        String answered = put.headers().firstValue("Docker-Content-Digest").orElse(null);
        if (!digest.equals(answered)) {
          failures.add(what + ": acknowledged with Docker-Content-Digest " + answered);
        }
        tag.acked.add(digest);
        tag.current = digest;
        tag.inFlight.clear();
        ackedManifests.put(digest, manifest.length);
        if (oldManifests.size() < 50) {
          oldManifests.add(manifest);
        }
        acked.incrementAndGet();
        return true;
      } catch (IOException e) {
        return gone(e, what);
      }
    }

    /** An I/O error is expected once the kill has begun (the write was in flight); before, it is a failure. */
    private boolean gone(IOException e, String what) {
      if (killing.now) {
        interrupted.incrementAndGet();
      } else {
        failures.add(what + ": " + e + " while Berth was running");
      }
      return false;
    }

    private boolean expect(HttpResponse<byte[]> response, int status, String what) {
      if (response.statusCode() == status) {
        return true;
      }
      failures.add(what + ": " + response.request().method() + " " + response.request().uri() + " answered "
          + response.statusCode() + " " + new String(response.body(), StandardCharsets.UTF_8));
      return false;
    }

    private HttpRequest.Builder request(String path) {
      return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20));
    }

    private HttpRequest.Builder request(URI location, String query) {
      String uri = location.toString();
      if (query != null) {
        uri += (uri.contains("?") ? "&" : "?") + query;
      }
      return HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(20));
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder request, String what) throws IOException {
      try {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(what + " interrupted", e);
      }
    }
  }

  /**
   * Checks everything clients were told against what the restarted Berth serves and what is on disk, then
   * takes what the tags resolve to now as their new baseline.
   *
   * @return the temporary files kills left behind (garbage, not damage: reported, not failed)
   */
  private List<String> verify(BerthProcess berth) throws IOException {
    Set<String> resolvingTags = new TreeSet<>();
    for (TagState tag : tags.values()) {
      tagPutsInFlight += tag.inFlight.size();
      HttpResponse<byte[]> got = berth.get("/v2/" + REPO + "/manifests/" + tag.name, MANIFEST_TYPE);
      if (got.statusCode() == 404 && tag.current == null) {
        tag.inFlight.clear(); // never acknowledged, and its in-flight PUT did not apply: fine
        continue;
      }
      if (got.statusCode() != 200) {
        failures.add("tag " + tag.name + ": GET answered " + got.statusCode() + " "
            + new String(got.body(), StandardCharsets.UTF_8) + "; " + history(tag));
        continue;
      }
      String actual = Digests.sha256(got.body());
      String header = got.headers().firstValue("Docker-Content-Digest").orElse(null);
      if (!actual.equals(header)) {
        failures.add("tag " + tag.name + ": served bytes with sha256 " + actual + " under Docker-Content-Digest "
            + header + "; " + history(tag));
      }
      if (actual.equals(tag.current) || tag.inFlight.contains(actual)) {
        if (!actual.equals(tag.current)) {
          tagPutsInFlightApplied++;
        }
        resolvingTags.add(tag.name);
        tag.current = actual;
        tag.inFlight.clear();
        continue;
      }
      int index = tag.acked.lastIndexOf(actual);
      failures.add("tag " + tag.name + ": resolves to " + actual + ", "
          + (index >= 0 ? "acknowledged #" + (index + 1) + " of " + tag.acked.size() + ", older than the last"
              : "which was never pushed to it")
          + "; " + history(tag));
    }

    for (Map.Entry<String, Integer> m : new TreeMap<>(ackedManifests).entrySet()) {
      HttpResponse<byte[]> got = berth.get("/v2/" + REPO + "/manifests/" + m.getKey(), MANIFEST_TYPE);
      if (got.statusCode() != 200) {
        failures.add("acknowledged manifest " + m.getKey() + ": GET by digest answered " + got.statusCode());
      } else if (!Digests.sha256(got.body()).equals(m.getKey()) || got.body().length != m.getValue()) {
        failures.add("acknowledged manifest " + m.getKey() + ": served " + got.body().length
            + " bytes with sha256 " + Digests.sha256(got.body()));
      }
    }
    for (Map.Entry<String, Integer> b : new TreeMap<>(ackedBlobs).entrySet()) {
      HttpResponse<byte[]> got = berth.get("/v2/" + REPO + "/blobs/" + b.getKey());
      if (got.statusCode() != 200) {
        failures.add("acknowledged blob " + b.getKey() + ": GET answered " + got.statusCode());
      } else if (got.body().length != b.getValue() || !Digests.sha256(got.body()).equals(b.getKey())) {
        failures.add("acknowledged blob " + b.getKey() + " (" + b.getValue() + " bytes): served " + got.body().length
            + " bytes with sha256 " + Digests.sha256(got.body()));
      }
    }

    JsonNode tagList = json(berth.get("/v2/" + REPO + "/tags/list"), "tags/list");
    if (tagList != null) {
      Set<String> listed = new TreeSet<>();
      tagList.path("tags").forEach(t -> listed.add(t.asText()));
      if (!REPO.equals(tagList.path("name").asText()) || !listed.equals(resolvingTags)) {
        failures.add("tags/list answered " + tagList + " but the tags that resolve are " + resolvingTags);
      }
    }
    JsonNode catalog = json(berth.get("/v2/_catalog"), "_catalog");
    if (catalog != null) {
      List<String> repositories = new ArrayList<>();
      catalog.path("repositories").forEach(r -> repositories.add(r.asText()));
      if (!repositories.equals(List.of(REPO))) {
        failures.add("_catalog answered " + catalog + "; expected only " + REPO);
      }
    }
    return checkDisk(berth.storage());
  }

  private JsonNode json(HttpResponse<byte[]> response, String what) {
    if (response.statusCode() != 200) {
      failures.add(what + ": answered " + response.statusCode());
      return null;
    }
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      failures.add(what + ": invalid JSON " + new String(response.body(), StandardCharsets.UTF_8));
      return null;
    }
  }

  private static String history(TagState tag) {
    return "acknowledged, oldest first: " + tag.acked + "; last known " + tag.current + "; in flight at the kill: "
        + tag.inFlight;
  }

  /**
   * Walks the storage directory: blob data must hash to its name, link files must hold a whole digest. Temporary
   * files ({@code .tmp-*}) a kill left are collected, not failed.
   */
  private List<String> checkDisk(Path storage) throws IOException {
    List<String> tmp = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(storage)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path file : files) {
      String relative = storage.relativize(file).toString();
      String name = file.getFileName().toString();
      if (name.startsWith(".tmp-")) {
        tmp.add(relative);
      } else if (relative.startsWith("blobs/sha256/") && name.equals("data")) {
        String hex = file.getParent().getFileName().toString();
        String actual = sha256Hex(file);
        if (!actual.equals(hex)) {
          failures.add(relative + ": " + Files.size(file) + " bytes with sha256 " + actual);
        }
      } else if (name.equals("link") || relative.contains("/_manifests/tags/")) {
        String content = Files.readString(file, StandardCharsets.US_ASCII);
        String[] parts = relative.split("/");
        // .../_layers/sha256/<hex>/link and .../_manifests/revisions/sha256/<hex>/link name their own digest;
        // a tag file (.../_manifests/tags/<tag>) names the manifest it points at
        String own = parts.length >= 3 && parts[parts.length - 3].equals("sha256")
            ? "sha256:" + parts[parts.length - 2] : null;
        if (!DIGEST.matcher(content).matches() || (own != null && !own.equals(content))) {
          failures.add(relative + ": holds " + content.length() + " bytes \"" + content + "\""
              + (own != null ? ", expected " + own : ", expected a digest"));
        }
      }
    }
    return tmp;
  }

  private static String sha256Hex(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[64 * 1024];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }
}
