package io.berth.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Throws a few thousand generated requests at the server over a handful of concurrent raw connections: valid and
 * mutated request lines (methods, paths from the route table with good and bad names, tags, digests, upload ids,
 * percent-encodings, over-long segments), headers (Content-Length right, wrong, duplicated, negative; chunked
 * bodies good, malformed, of tiny chunks; Content-Range; Expect: 100-continue; Range; Accept) and bodies (random
 * bytes, random JSON, manifests with and without their blobs), mixed with valid push-and-read-back workflows.
 *
 * <p>Invariants, every violation collected and reported with the seed and the request's bytes:
 * <ul>
 *   <li>no response is a 5xx, and every error body is the spec's {@code {"errors":[{"code":...}]}} without
 *       stack-trace text;</li>
 *   <li>no connection hangs: a complete request gets its response (or the server closes the connection), and a
 *       request left incomplete on purpose is followed by a half-close, after which the server must end the
 *       connection; every read has a 15 s timeout;</li>
 *   <li>afterwards the server is healthy: {@code GET /v2/} answers 200 on fresh connections, everything the
 *       workflows pushed reads back byte-identical, and no file appeared outside the data root.</li>
 * </ul>
 *
 * <p>The seed is fixed ({@value #DEFAULT_SEED}); {@code -Dberth.fuzz.seed=N} varies it,
 * {@code -Dberth.fuzz.requests=N} makes a longer soak, {@code -Dberth.fuzz.connections=1} runs one connection at
 * a time (the generated requests are a function of the seed; with several connections their interleaving is up
 * to the scheduler). By default the run stops generating after {@code berth.fuzz.seconds} (15) whatever the count,
 * so it stays bounded on a slow disk (every push fsyncs).
 */
class RequestFuzzTest extends ServerTestBase {
  static final long DEFAULT_SEED = 0x5EED_BE27L;
  static final int READ_TIMEOUT_MS = 15_000;

  final long seed = Long.getLong("berth.fuzz.seed", DEFAULT_SEED);
  final int requests = Integer.getInteger("berth.fuzz.requests", 3000);
  final int connections = Integer.getInteger("berth.fuzz.connections", 4);
  final long seconds = Long.getLong("berth.fuzz.seconds",
      System.getProperty("berth.fuzz.requests") == null ? 15 : 3600);

  /** Repositories only the workflows write to (fuzzed requests may read them, never change them). */
  static String keepRepo(int worker) {
    return "keep/w" + worker;
  }

  static final String[] FUZZ_REPOS = {"fuzz/a", "fuzz/b", "fuzz/c/d", "lib"};

  final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
  final AtomicInteger sent = new AtomicInteger();
  final AtomicInteger statuses5xx = new AtomicInteger();
  final Map<Integer, AtomicInteger> statusCounts = new ConcurrentHashMap<>();

  /** Blobs the workflows pushed: digest → content, per keep repository. */
  final Map<String, Map<String, byte[]>> keepBlobs = new ConcurrentHashMap<>();
  /** Manifests the workflows pushed: repo → tag → bytes. */
  final Map<String, Map<String, byte[]>> keepManifests = new ConcurrentHashMap<>();
  /** Upload ids seen in the fuzz repositories (from Location headers), to aim requests at real uploads. */
  final List<String> fuzzUploads = new CopyOnWriteArrayList<>();
  /** Digests of blobs pushed into the fuzz repositories before the run. */
  final List<String> fuzzDigests = new CopyOnWriteArrayList<>();
  byte[] fuzzConfig;
  byte[] fuzzLayer;

  // ---------------------------------------------------------------------------------------------------------
  // the run

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void generatedRequestsNeverFailTheServer() throws Exception {
    Set<String> outsideBefore = filesOutsideRoot();
    seedFuzzRepositories();

    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
    ExecutorService pool = Executors.newFixedThreadPool(connections);
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < connections; w++) {
      int worker = w;
      int quota = requests / connections + (w < requests % connections ? 1 : 0);
      workers.add(pool.submit(() -> {
        new Worker(worker, new Random(seed * 31 + worker), quota, deadline).run();
        return null;
      }));
    }
    for (Future<?> f : workers) {
      f.get(4, TimeUnit.MINUTES);
    }
    pool.shutdown();
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    checkHealthy();
    checkKeptContent();
    Set<String> outsideAfter = filesOutsideRoot();
    outsideAfter.removeAll(outsideBefore);
    if (!outsideAfter.isEmpty()) {
      violations.add("files appeared outside the data root: " + outsideAfter);
    }

    int blobs = keepBlobs.values().stream().mapToInt(Map::size).sum();
    int manifests = keepManifests.values().stream().mapToInt(Map::size).sum();
    System.out.printf("fuzz seed=%d: %d requests over %d connections in %d ms; statuses %s; kept %d blobs and %d"
        + " manifests; %d violations%n", seed, sent.get(), connections, elapsedMs, new java.util.TreeMap<>(statusCounts),
        blobs, manifests, violations.size());
    if (!violations.isEmpty()) {
      // One example of each kind (a violation's first line), with how often it happened.
      Map<String, List<String>> kinds = new java.util.LinkedHashMap<>();
      violations.forEach(v -> kinds.computeIfAbsent(v.lines().findFirst().orElse(v), k -> new ArrayList<>()).add(v));
      StringBuilder report = new StringBuilder();
      report.append(violations.size()).append(" violations of ").append(kinds.size()).append(" kinds (seed ")
          .append(seed).append("; rerun with -Dberth.fuzz.seed=").append(seed).append("):");
      kinds.values().stream().limit(30).forEach(v -> {
        report.append("\n--- [x").append(v.size()).append("] ").append(v.get(0));
        v.stream().skip(1).limit(2).forEach(more -> report.append("\n  also: ").append(more.lines().skip(1)
            .filter(l -> l.startsWith("request: ")).findFirst().orElse("")));
      });
      fail(report.toString());
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // minimal reproductions of what the fuzzing found (each fails until the server is fixed)

  /** One request on a fresh connection; its answer. */
  RawHttp.Response once(String request) throws IOException {
    try (RawHttp c = new RawHttp(port(), READ_TIMEOUT_MS)) {
      return c.send(request).read();
    }
  }

  /**
   * A malformed percent-escape in the query ({@code %zz}, a lone {@code %}) is the client's error, not a 500:
   * Netty's QueryStringDecoder decodes lazily and throws IllegalArgumentException from {@code parameters()},
   * which Exchange.param lets through to ErrorResponses as an unknown failure.
   */
  @Test
  void malformedQueryEscapeIsA400NotA500() throws IOException {
    String upload = startUpload("fuzz/a");
    StringBuilder wrong = new StringBuilder();
    for (String request : new String[] {
        head("GET", "/v2/_catalog?n=%"),
        head("GET", "/v2/fuzz/a/tags/list?last=%zz"),
        head("GET", "/v2/fuzz/a/referrers/sha256:" + "0".repeat(64) + "?artifactType=%zz"),
        head("POST", "/v2/fuzz/a/blobs/uploads/?digest=%zz", "Content-Length: 0"),
        head("PUT", upload + "?digest=%", "Content-Length: 0")}) {
      RawHttp.Response r = once(request);
      if (r.status() != 400 || problemWith(new Req("", "GET", new byte[0], new byte[0], Framing.CLEAN, false), r)
          != null) {
        wrong.append("\n").append(request.lines().findFirst().orElseThrow()).append(" -> ").append(r);
      }
    }
    assertEquals("", wrong.toString(), "malformed query escapes not answered 400 with an error body");
  }

  /**
   * A Content-Range whose numbers overflow a long is a malformed Content-Range (416 RANGE_INVALID, as for any other
   * malformed one), not a 500: UploadHandlers.contentRangeStart matches {@code \\d+} and then Long.parseLong
   * throws NumberFormatException.
   */
  @Test
  void overflowingContentRangeIsRangeInvalidNotA500() throws IOException {
    String upload = startUpload("fuzz/a");
    RawHttp.Response r = once(head("PATCH", upload, "Content-Length: 0",
        "Content-Range: 0-99999999999999999999"));
    assertError(416, "RANGE_INVALID", r);
    RawHttp.Response put = once(head("PUT", upload + "?digest=" + sha256(new byte[0]), "Content-Length: 0",
        "Content-Range: 99999999999999999999-99999999999999999999"));
    assertError(416, "RANGE_INVALID", put);
  }

  /**
   * An Expect header other than 100-continue is answered 417, like every other error, with the spec's error body:
   * RequestDispatcher.onRequest builds that answer with Response.status(EXPECTATION_FAILED) and no body, the one
   * error that bypasses ErrorResponses.
   */
  @Test
  void expectationFailedCarriesTheErrorBody() throws IOException {
    RawHttp.Response r = once(head("GET", "/v2/", "Expect: 200-ok"));
    assertEquals(417, r.status(), r::toString);
    assertEquals(null, problemWith(new Req("", "GET", new byte[0], new byte[0], Framing.CLEAN, false), r),
        () -> "417 without the spec's error body: " + r);
  }

  /** Blobs in the fuzz repositories, so that some fuzzed manifests reference blobs that exist. */
  void seedFuzzRepositories() {
    fuzzConfig = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(UTF_8);
    fuzzLayer = randomBytes(2000, seed);
    for (String repo : new String[] {"fuzz/a", "fuzz/b"}) {
      fuzzDigests.add(pushBlob(repo, fuzzConfig));
      fuzzDigests.add(pushBlob(repo, fuzzLayer));
    }
    fuzzUploads.add(uuidOf(startUpload("fuzz/a")));
    fuzzUploads.add(uuidOf(startUpload("fuzz/b")));
  }

  void checkHealthy() {
    for (int i = 0; i < 16; i++) { // more connections than event loops: every loop must still serve
      try (RawHttp c = new RawHttp(port(), READ_TIMEOUT_MS)) {
        RawHttp.Response r = c.send(HttpFramingTest.head("GET", "/v2/")).readOrEof();
        if (r == null || r.status() != 200) {
          violations.add("after the run, GET /v2/ on a fresh connection answered " + r);
        }
      } catch (IOException e) {
        violations.add("after the run, GET /v2/ on a fresh connection failed: " + e);
      }
    }
  }

  void checkKeptContent() {
    keepBlobs.forEach((repo, blobs) -> blobs.forEach((digest, content) -> {
      HttpResponse<byte[]> r = get("/v2/" + repo + "/blobs/" + digest);
      if (r.statusCode() != 200 || !Arrays.equals(content, r.body())) {
        violations.add("after the run, blob " + repo + "@" + digest + " (" + content.length + " bytes) reads back as "
            + r.statusCode() + " with " + r.body().length + " bytes" + (r.statusCode() >= 400 ? ": " + text(r) : ""));
      }
    }));
    keepManifests.forEach((repo, manifests) -> manifests.forEach((tag, content) -> {
      for (String ref : new String[] {tag, sha256(content)}) {
        HttpResponse<byte[]> r = get("/v2/" + repo + "/manifests/" + ref);
        if (r.statusCode() != 200 || !Arrays.equals(content, r.body())) {
          violations.add("after the run, manifest " + repo + ":" + ref + " reads back as " + text(r));
        }
      }
    }));
  }

  Set<String> filesOutsideRoot() throws IOException {
    Set<String> files = new TreeSet<>();
    try (Stream<Path> walk = Files.walk(temp)) {
      walk.filter(p -> !p.startsWith(root)).filter(p -> !Files.isDirectory(p))
          .forEach(p -> files.add(temp.relativize(p).toString()));
    }
    return files;
  }

  // ---------------------------------------------------------------------------------------------------------
  // one generated request

  /** How a request's bytes end. */
  enum Framing {
    /** Complete and well framed: the server owes a response (and may then close). */
    CLEAN,
    /** Complete, but with framing the server may refuse or misread: we half-close after it and read to EOF. */
    DUBIOUS,
    /** Deliberately incomplete (a body shorter than declared): we half-close after it and read to EOF. */
    INCOMPLETE
  }

  /** A request to send: head and body bytes, how it is framed, and an optional check of its answer. */
  static final class Req {
    final String what;
    final String method;
    final byte[] head;
    final byte[] body;
    final Framing framing;
    final boolean expectContinue;
    Function<RawHttp.Response, String> check = r -> null;
    java.util.function.Consumer<RawHttp.Response> harvest = r -> {};

    Req(String what, String method, byte[] head, byte[] body, Framing framing, boolean expectContinue) {
      this.what = what;
      this.method = method;
      this.head = head;
      this.body = body;
      this.framing = framing;
      this.expectContinue = expectContinue;
    }

    boolean isHead() {
      return "HEAD".equals(method);
    }

    byte[] bytes() {
      return concat(head, body);
    }

    @Override
    public String toString() {
      return what + "\n" + printable(head, 1500) + (body.length == 0 ? "" : "\n[body " + body.length + " bytes] "
          + printable(body, 300));
    }
  }

  static String printable(byte[] bytes, int max) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < bytes.length && b.length() < max; i++) {
      int c = bytes[i] & 0xff;
      if (c == '\r') {
        b.append("\\r");
      } else if (c == '\n') {
        b.append("\\n\n");
      } else if (c >= 0x20 && c < 0x7f) {
        b.append((char) c);
      } else {
        b.append(String.format("\\x%02x", c));
      }
    }
    if (b.length() >= max) {
      b.append("...(").append(bytes.length).append(" bytes in all)");
    }
    return b.toString();
  }

  // ---------------------------------------------------------------------------------------------------------
  // a worker: one connection at a time, requests generated from its own Random

  final class Worker {
    final int id;
    final Random rnd;
    final int quota;
    final long deadline;
    final String keep;
    int done;
    int tagCounter;

    Worker(int id, Random rnd, int quota, long deadline) {
      this.id = id;
      this.rnd = rnd;
      this.quota = quota;
      this.deadline = deadline;
      this.keep = keepRepo(id);
      keepBlobs.put(keep, new ConcurrentHashMap<>());
      keepManifests.put(keep, new ConcurrentHashMap<>());
    }

    boolean more() {
      return done < quota && System.nanoTime() < deadline;
    }

    void run() {
      while (more()) {
        int perConnection = rnd.nextInt(5) == 0 ? 1 : 1 + rnd.nextInt(30);
        try (RawHttp c = new RawHttp(port(), READ_TIMEOUT_MS)) {
          boolean open = true;
          for (int i = 0; i < perConnection && open && more(); i++) {
            int action = rnd.nextInt(100);
            try {
              if (action < 7) {
                open = workflow(c);
              } else if (action < 17) {
                open = pipelined(c);
              } else {
                open = exchange(c, new Gen(rnd, this).request());
              }
            } catch (IOException e) {
              violations.add("worker " + id + ": I/O failure on a connection the server had kept open: " + e);
              open = false;
            }
          }
        } catch (IOException e) {
          violations.add("worker " + id + ": could not connect: " + e);
          return;
        }
      }
    }

    // ---- sending and reading ----

    /** Sends one request and reads its answer; false when the connection is over. */
    boolean exchange(RawHttp c, Req r) {
      done++;
      sent.incrementAndGet();
      try {
        if (r.framing != Framing.CLEAN) {
          c.send(r.bytes());
          c.socket().shutdownOutput();
          drain(c, r);
          return false;
        }
        if (r.expectContinue) {
          c.send(r.head);
          RawHttp.Response first = read(c, r);
          if (first == null) {
            return false;
          }
          if (first.status() == 100) {
            c.send(r.body);
            RawHttp.Response last = read(c, r);
            return last != null && !last.closes();
          }
          // answered early: the body was not wanted; if there was one, the server ends the connection
          return r.body.length == 0 && !first.closes();
        }
        c.send(r.bytes());
        RawHttp.Response resp = read(c, r);
        return resp != null && !resp.closes();
      } catch (SocketException e) {
        // the server closed while we wrote: fine if it first answered (read() judged that) or refused the head
        return false;
      } catch (IOException e) {
        violations.add("I/O failure: " + e + "\nrequest: " + r);
        return false;
      }
    }

    /** Several clean requests in one write, answered in order. */
    boolean pipelined(RawHttp c) throws IOException {
      List<Req> batch = new ArrayList<>();
      int n = 2 + rnd.nextInt(4);
      Gen gen = new Gen(rnd, this);
      while (batch.size() < n) {
        Req r = gen.request();
        if (r.framing == Framing.CLEAN && !r.expectContinue) {
          batch.add(r);
        }
      }
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      batch.forEach(r -> all.writeBytes(r.bytes()));
      done += batch.size();
      sent.addAndGet(batch.size());
      try {
        c.send(all.toByteArray());
      } catch (SocketException e) {
        return false;
      }
      for (Req r : batch) {
        RawHttp.Response resp = read(c, r);
        if (resp == null || resp.closes()) {
          return false; // the rest were not taken, and the server said so
        }
      }
      return true;
    }

    /**
     * Reads the answer to a clean request: a response, or null when the server closed (a violation unless it
     * refused the request before reading it, which it only does with a response).
     */
    RawHttp.Response read(RawHttp c, Req r) {
      RawHttp.Response resp;
      try {
        resp = c.readOrEof(r.isHead());
      } catch (SocketTimeoutException e) {
        violations.add("HANG: no response within " + READ_TIMEOUT_MS + " ms\nrequest: " + r);
        return null;
      } catch (IOException e) {
        violations.add("unreadable response: " + e.getMessage() + "\nrequest: " + r);
        return null;
      }
      if (resp == null) {
        violations.add("connection closed without a response to a complete request\nrequest: " + r);
        return null;
      }
      judge(r, resp);
      return resp;
    }

    /** After a dubious or incomplete request and our half-close: every response is judged, then EOF must come. */
    void drain(RawHttp c, Req r) {
      try {
        for (int i = 0; i < 20; i++) {
          RawHttp.Response resp = c.readOrEof(i == 0 && r.isHead());
          if (resp == null) {
            return;
          }
          judge(r, resp);
          if (r.isHead()) {
            // A HEAD the decoder could not parse is answered as the GET it defaults to, body included: past the
            // first answer, only the end of the connection is checked.
            if (!c.closedByServer()) {
              throw new SocketTimeoutException();
            }
            return;
          }
        }
        violations.add("more than 20 responses to one request\nrequest: " + r);
      } catch (SocketTimeoutException e) {
        violations.add("HANG: connection still open " + READ_TIMEOUT_MS + " ms after the client half-closed\nrequest: "
            + r);
      } catch (IOException e) {
        if (!(e instanceof SocketException)) {
          violations.add("unreadable response: " + e.getMessage() + "\nrequest: " + r);
        }
      }
    }

    void judge(Req r, RawHttp.Response resp) {
      statusCounts.computeIfAbsent(resp.status(), k -> new AtomicInteger()).incrementAndGet();
      String problem = problemWith(r, resp);
      if (problem == null && !(resp.status() == 100 && r.expectContinue)) { // the oracle judges the final answer
        problem = r.check.apply(resp);
      }
      if (problem != null) {
        violations.add(problem + "\nrequest: " + r + "\nresponse: " + printable(resp.toString().getBytes(UTF_8), 1500));
      }
      r.harvest.accept(resp);
    }

    // ---- valid workflows, in the worker's own repository ----

    /** A valid request that must answer {@code status}; null (and a violation) otherwise. */
    RawHttp.Response step(RawHttp c, String what, String head, byte[] body, int status) throws IOException {
      Req r = new Req("workflow: " + what, head.substring(0, head.indexOf(' ')), head.getBytes(ISO_8859_1), body,
          Framing.CLEAN, false);
      r.check = resp -> resp.status() == status ? null : "workflow step " + what + " expected " + status;
      done++;
      sent.incrementAndGet();
      c.send(r.bytes());
      RawHttp.Response resp = read(c, r);
      return resp != null && resp.status() == status ? resp : null;
    }

    boolean workflow(RawHttp c) throws IOException {
      Map<String, byte[]> blobs = keepBlobs.get(keep);
      int kind = rnd.nextInt(10);
      if (kind < 5 || blobs.size() < 2) {
        return pushBlobInParts(c);
      }
      if (kind < 7) {
        byte[] content = randomBytes(rnd.nextInt(20_000), rnd.nextLong());
        String digest = sha256(content);
        RawHttp.Response r = step(c, "monolithic POST", head("POST", "/v2/" + keep + "/blobs/uploads/?digest=" + digest,
            "Content-Length: " + content.length), content, 201);
        if (r != null) {
          blobs.put(digest, content);
        }
        return r != null && !r.closes();
      }
      if (kind < 8) { // mount a blob another worker pushed
        int other = rnd.nextInt(connections);
        List<Map.Entry<String, byte[]>> theirs = new ArrayList<>(keepBlobs.getOrDefault(keepRepo(other), Map.of())
            .entrySet());
        if (theirs.isEmpty()) {
          return true;
        }
        Map.Entry<String, byte[]> e = theirs.get(rnd.nextInt(theirs.size()));
        RawHttp.Response r = step(c, "mount", head("POST", "/v2/" + keep + "/blobs/uploads/?mount=" + e.getKey()
            + "&from=" + keepRepo(other), "Content-Length: 0"), new byte[0], 201);
        if (r != null) {
          blobs.put(e.getKey(), e.getValue());
        }
        return r != null && !r.closes();
      }
      // a manifest over two of our blobs, read back by tag
      List<Map.Entry<String, byte[]>> ours = new ArrayList<>(blobs.entrySet());
      Map.Entry<String, byte[]> config = ours.get(rnd.nextInt(ours.size()));
      Map.Entry<String, byte[]> layer = ours.get(rnd.nextInt(ours.size()));
      byte[] manifest = ociManifest(config.getKey(), config.getValue().length, layer.getKey(), layer.getValue().length);
      String tag = "t" + id + "-" + (tagCounter++);
      RawHttp.Response put = step(c, "push manifest", head("PUT", "/v2/" + keep + "/manifests/" + tag,
          "Content-Type: " + OCI_MANIFEST, "Content-Length: " + manifest.length), manifest, 201);
      if (put == null || put.closes()) {
        return false;
      }
      keepManifests.get(keep).put(tag, manifest);
      RawHttp.Response back = step(c, "read manifest back", head("GET", "/v2/" + keep + "/manifests/" + tag,
          "Accept: " + OCI_MANIFEST), new byte[0], 200);
      if (back != null && !Arrays.equals(manifest, back.body())) {
        violations.add("manifest " + keep + ":" + tag + " read back different: " + back);
      }
      return back != null && !back.closes();
    }

    /** POST, one to three PATCHes (Content-Length or chunked, with or without Content-Range), PUT, GET. */
    boolean pushBlobInParts(RawHttp c) throws IOException {
      RawHttp.Response start = step(c, "start upload", head("POST", "/v2/" + keep + "/blobs/uploads/",
          "Content-Length: 0"), new byte[0], 202);
      if (start == null || start.closes()) {
        return false;
      }
      String location = start.header("Location");
      byte[] content = randomBytes(rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(300_000) : 1 + rnd.nextInt(10_000),
          rnd.nextLong());
      int parts = 1 + rnd.nextInt(3);
      int offset = 0;
      for (int p = 0; p < parts; p++) {
        int end = p == parts - 1 ? content.length : offset + rnd.nextInt(content.length - offset + 1);
        byte[] part = slice(content, offset, end);
        if (p == parts - 1 && rnd.nextBoolean()) { // the last part goes with the PUT
          String target = location + "?digest=" + sha256(content);
          RawHttp.Response done = step(c, "complete with a last part", head("PUT", target,
              "Content-Length: " + part.length, "Content-Range: " + offset + "-" + (end - 1)), part,
              part.length == 0 ? 416 : 201);
          return finishBlob(c, done, content, part.length == 0);
        }
        RawHttp.Response r;
        if (rnd.nextBoolean()) {
          r = step(c, "PATCH chunked", head("PATCH", location, "Transfer-Encoding: chunked"),
              chunked(part, rnd, false), 202);
        } else {
          List<String> h = new ArrayList<>(List.of("Content-Length: " + part.length,
              "Content-Type: application/octet-stream"));
          if (rnd.nextBoolean() && part.length > 0) {
            h.add("Content-Range: " + offset + "-" + (end - 1));
          }
          r = step(c, "PATCH", head("PATCH", location, h.toArray(String[]::new)), part, 202);
        }
        if (r == null || r.closes()) {
          return false;
        }
        offset = end;
        String expectedRange = "0-" + Math.max(0, offset - 1);
        if (!expectedRange.equals(r.header("Range"))) {
          violations.add("upload " + location + " at " + offset + " bytes answered Range " + r.header("Range"));
        }
      }
      RawHttp.Response done = step(c, "complete", head("PUT", location + "?digest=" + sha256(content),
          "Content-Length: 0"), new byte[0], 201);
      return finishBlob(c, done, content, false);
    }

    private boolean finishBlob(RawHttp c, RawHttp.Response done, byte[] content, boolean expectedRefusal)
        throws IOException {
      if (done == null || done.closes() || expectedRefusal) {
        return done != null && !done.closes();
      }
      String digest = sha256(content);
      if (!digest.equals(done.header("Docker-Content-Digest"))) {
        violations.add("upload completed with digest " + done.header("Docker-Content-Digest") + ", sent " + digest);
      }
      keepBlobs.get(keep).put(digest, content);
      RawHttp.Response back = step(c, "read blob back", head("GET", "/v2/" + keep + "/blobs/" + digest), new byte[0],
          200);
      if (back != null && !Arrays.equals(content, back.body())) {
        violations.add("blob " + digest + " read back different (" + back.body().length + " bytes)");
      }
      return back != null && !back.closes();
    }
  }

  static String head(String method, String target, String... headers) {
    return HttpFramingTest.head(method, target, headers);
  }

  /** What every answer must satisfy, whatever the request. */
  static String problemWith(Req r, RawHttp.Response resp) {
    int status = resp.status();
    if (status >= 500) {
      return "5xx: " + status;
    }
    String text = resp.bodyText();
    if (text.contains("Exception") || text.contains("\tat ") || text.contains("at io.berth")
        || text.contains("at io.netty")) {
      return "response leaks a stack trace";
    }
    String cl = resp.header("Content-Length");
    if (status >= 200 && status != 204 && status != 304 && !r.isHead() && cl != null
        && Long.parseLong(cl) != resp.body().length) {
      return "response body truncated: " + resp.body().length + " of " + cl + " bytes";
    }
    if (status >= 400 && !r.isHead()) {
      JsonNode errors;
      try {
        errors = JSON.readTree(resp.body()).get("errors");
      } catch (IOException | RuntimeException e) {
        errors = null;
      }
      if (errors == null || !errors.isArray() || errors.isEmpty() || !errors.get(0).path("code").isTextual()) {
        return "error " + status + " without the spec's error body";
      }
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------------------
  // the generator

  static final String[] METHODS = {"GET", "GET", "GET", "HEAD", "HEAD", "PUT", "PUT", "POST", "POST", "PATCH",
      "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "get", "FOO", "PROPFIND", "G\tET", ""};

  static final String[] MEDIA_TYPES = {OCI_MANIFEST, "application/vnd.oci.image.index.v1+json",
      "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.docker.distribution.manifest.v1+prettyjws", "application/json", "text/plain", "*/*",
      "application/*", "", ";;;", "application/vnd.oci.image.manifest.v1+json; charset=utf-8, */*;q=0.1",
      "application/vnd.oci.image.manifest.v1+json;q=x", "\u00ff\u00fe"};

  /** Generates one request from a worker's Random. */
  final class Gen {
    final Random rnd;
    final Worker worker;

    Gen(Random rnd, Worker worker) {
      this.rnd = rnd;
      this.worker = worker;
    }

    <T> T pick(T[] options) {
      return options[rnd.nextInt(options.length)];
    }

    <T> T pick(List<T> options) {
      return options.get(rnd.nextInt(options.size()));
    }

    boolean chance(int percent) {
      return rnd.nextInt(100) < percent;
    }

    String alnum(int min, int max, String alphabet) {
      int n = min + rnd.nextInt(max - min + 1);
      StringBuilder b = new StringBuilder(n);
      for (int i = 0; i < n; i++) {
        b.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
      }
      return b.toString();
    }

    String hex(int n) {
      return alnum(n, n, "0123456789abcdef");
    }

    // ---- path parts ----

    String writableName() {
      int k = rnd.nextInt(10);
      if (k < 6) {
        return pick(FUZZ_REPOS);
      }
      if (k < 8) {
        return "fuzz/" + alnum(1, 8, "abcdefghijklmnopqrstuvwxyz0123456789") + (chance(30) ? "." + alnum(1, 3, "ab")
            : "") + (chance(30) ? "__x" : "") + (chance(30) ? "/" + alnum(1, 5, "xyz") : "");
      }
      return invalidName();
    }

    String readableName() {
      return chance(35) ? keepRepo(rnd.nextInt(connections)) : writableName();
    }

    String invalidName() {
      return pick(new String[] {"UPPER/case", "a//b", "../etc", "a/../b", "%2e%2e/x", "fuzz%2fa", ".hidden", "a/",
          "-a", "a-", "a..b", "a" + "b".repeat(300), "x/".repeat(130) + "x", "\u00e9t\u00e9", "a;b", "a%00b", "_catalog",
          "a/blobs/b", "a/manifests/b", "keep/w0/../../fuzz/a", "%", "%zz", "a%20b", "a\\b", "~user", "a*b", ""});
    }

    String tag() {
      int k = rnd.nextInt(10);
      if (k < 4) {
        return pick(new String[] {"latest", "v1", "t0-0", "t1-1"});
      }
      if (k < 7) {
        return alnum(1, 1, "abcXYZ019_") + alnum(0, 20, "abcXYZ019_.-");
      }
      return pick(new String[] {"", ".x", "-x", "a".repeat(129), "a".repeat(128), "a:b", "%41", "a%2fb", "..", "a b",
          "\u00e9", "a".repeat(3000), "sha256-" + hex(64)});
    }

    String digest() {
      int k = rnd.nextInt(12);
      if (k < 3 && !fuzzDigests.isEmpty()) {
        return pick(fuzzDigests);
      }
      if (k < 5) {
        List<String> kept = new ArrayList<>();
        keepBlobs.values().forEach(m -> kept.addAll(m.keySet()));
        if (!kept.isEmpty()) {
          return pick(kept);
        }
      }
      if (k < 7) {
        return "sha256:" + hex(64);
      }
      return pick(new String[] {"sha512:" + hex(128), "sha256:abc", "sha256:" + hex(64).toUpperCase(), "md5:" + hex(32),
          "sha256:" + hex(64) + "x", "sha256-" + hex(64), "sha256:", ":" + hex(64), "sha256:" + hex(65),
          "sha384:" + hex(96), "sha256+b64:" + hex(64), "SHA256:" + hex(64), "sha256:" + "0".repeat(64),
          "sha256%3a" + hex(64), "sha256:" + hex(4000)});
    }

    String uploadId() {
      int k = rnd.nextInt(10);
      if (k < 5 && !fuzzUploads.isEmpty()) {
        return pick(fuzzUploads);
      }
      if (k < 7) {
        return java.util.UUID.nameUUIDFromBytes(hex(8).getBytes(UTF_8)).toString();
      }
      return pick(new String[] {"00000000-0000-0000-0000-000000000000", "..", "%2e%2e", ".", "a".repeat(300), "CON",
          "x;y", "%00", "not-a-uuid", "\u00e9", "00000000-0000-0000-0000-00000000000G"});
    }

    String reference() {
      return chance(60) ? tag() : digest();
    }

    // ---- request line ----

    String target(String method) {
      boolean writes = !(method.equals("GET") || method.equals("HEAD"));
      String name = writes ? writableName() : readableName();
      int k = rnd.nextInt(100);
      String path;
      String query = "";
      if (k < 5) {
        path = pick(new String[] {"/v2/", "/v2", "/v2//", "/", "*", "/v3/", "/v2/_catalog", "/v2/_catalog/",
            "http://127.0.0.1/v2/", "/v2/../../../etc/passwd", "/v2/%2e%2e/%2e%2e/etc", "//v2/", "/V2/", "/v2/?"});
      } else if (k < 10) {
        path = "/v2/_catalog";
        query = pick(new String[] {"", "?n=0", "?n=2", "?n=1000", "?n=1001", "?n=-1", "?n=99999999999", "?n=x",
            "?last=fuzz/a", "?n=1&last=keep/w0", "?last=%zz", "?n=%", "?last=" + "z".repeat(500)});
      } else if (k < 18) {
        path = "/v2/" + name + "/tags/list";
        query = pick(new String[] {"", "?n=1", "?n=0", "?n=-5", "?n=abc", "?n=2147483648", "?last=v", "?last=%zz",
            "?n=1&last=t0-0", "?n=&last=", "?n=1&n=2"});
      } else if (k < 45) {
        path = "/v2/" + name + "/manifests/" + reference();
        if (method.equals("PUT") && chance(20)) {
          StringBuilder q = new StringBuilder("?");
          int tags = chance(10) ? 101 : 1 + rnd.nextInt(3);
          for (int i = 0; i < tags; i++) {
            q.append(i == 0 ? "" : "&").append("tag=").append(chance(90) ? "x" + i : tag());
          }
          query = q.toString();
        }
      } else if (k < 60) {
        path = "/v2/" + name + "/blobs/uploads/" + (chance(10) ? "" : uploadId());
        if (k < 50) {
          path = "/v2/" + name + "/blobs/uploads" + (chance(50) ? "/" : "");
        }
        query = pick(new String[] {"", "", "?digest=" + digest(), "?mount=" + digest() + "&from=" + readableName(),
            "?mount=" + digest(), "?digest-algorithm=sha512", "?digest-algorithm=md5", "?digest=%zz", "?digest=%",
            "?digest=" + digest() + "&digest=" + digest(), "?mount=&from=", "?from=" + readableName()});
      } else if (k < 85) {
        path = "/v2/" + name + "/blobs/" + digest();
      } else if (k < 92) {
        path = "/v2/" + name + "/referrers/" + digest();
        query = pick(new String[] {"", "?artifactType=application/x", "?artifactType=", "?artifactType=%zz"});
      } else {
        path = "/v2/" + name + "/" + pick(new String[] {"blobs", "manifests", "tags", "referrers", "blobs/uploads/a/b",
            "manifests/a/b", "x" + "y".repeat(rnd.nextInt(6000))});
      }
      String t = path + query;
      if (chance(8)) { // percent-encode one character, or insert a broken escape
        int at = t.length() > 1 ? 1 + rnd.nextInt(t.length() - 1) : 0;
        t = t.substring(0, at) + (chance(50) ? String.format("%%%02X", (int) t.charAt(Math.min(at, t.length() - 1)))
            : pick(new String[] {"%", "%z", "%zz", "%00", "%ff", "%2f", "%25"})) + t.substring(at);
      }
      if (chance(3)) {
        t = t + "#frag";
      }
      return t;
    }

    // ---- the request ----

    Req request() {
      String method = pick(METHODS);
      String target = target(method);
      String version = chance(95) ? "HTTP/1.1" : pick(new String[] {"HTTP/1.0", "HTTP/2.0", "HTTP/1.2", "", "HTTP/1",
          "http/1.1", "HTTP/1.1 extra"});
      String sep = chance(97) ? " " : pick(new String[] {"  ", "\t", ""});
      String eol = chance(97) ? "\r\n" : "\n";
      StringBuilder head = new StringBuilder();
      if (chance(2)) {
        head.append("\r\n"); // a stray empty line before the request, which RFC 9112 says to ignore
      }
      head.append(method).append(sep).append(target).append(version.isEmpty() ? "" : " " + version).append(eol);
      List<String> headers = new ArrayList<>();
      if (chance(95)) {
        headers.add("Host: 127.0.0.1");
      }
      if (chance(15)) {
        headers.add("Accept: " + pick(MEDIA_TYPES) + (chance(30) ? ", " + pick(MEDIA_TYPES) : ""));
      }
      if (chance(12)) {
        headers.add("Range: " + pick(new String[] {"bytes=0-0", "bytes=0-9", "bytes=5-", "bytes=-10", "bytes=-0",
            "bytes=1999-", "bytes=100-50", "bytes=0-99999999999999999999", "bytes=99999999999-", "bytes=0-1,4-5",
            "items=0-5", "bytes=", "bytes=-", "bytes=x-y", "bytes=" + rnd.nextInt(3000) + "-" + rnd.nextInt(3000)}));
      }
      if (chance(10)) {
        headers.add("Content-Range: " + pick(new String[] {"0-0", "0-99", "bytes 0-99/100", "bytes=0-99", "5-2",
            "0-" + rnd.nextInt(5000), rnd.nextInt(5000) + "-" + rnd.nextInt(5000), "a-b", "", "0-",
            "99999999999999999999-99999999999999999999", "0-99999999999999999999", "-1-5", "bytes */100"}));
      }
      if (chance(10)) {
        headers.add("Content-Type: " + pick(MEDIA_TYPES));
      }
      if (chance(10)) {
        headers.add("Connection: " + pick(new String[] {"close", "keep-alive", "Close", "upgrade", "foo, close"}));
      }
      if (chance(3)) {
        headers.add(pick(new String[] {"X-No-Colon", "X-Space : v", " X-Leading: v", "X-Empty:", "X-Big: "
            + "a".repeat(rnd.nextInt(20_000)), "X-Ctl: a\u0001b", "X-High: \u00ff\u00e9", "Upgrade: h2c",
            "Transfer-Encoding: identity", "X-Folded: a" + eol + " b"}));
      }

      byte[] body = body(method, target);
      Framing framing = Framing.CLEAN;
      boolean expectContinue = false;
      int mode = rnd.nextInt(100);
      byte[] sentBody = body;
      if (body.length == 0 && mode < 60) {
        if (chance(40)) {
          headers.add("Content-Length: 0");
        }
      } else if (mode < 60) {
        headers.add("Content-Length: " + body.length);
      } else if (mode < 75) {
        headers.add("Transfer-Encoding: chunked");
        sentBody = chunked(body, rnd, chance(10));
      } else if (mode < 80) {
        headers.add("Content-Length: " + body.length);
        headers.add("Expect: " + (chance(85) ? "100-continue" : pick(new String[] {"100-Continue", "200-ok", "",
            "100-continue, foo"})));
        expectContinue = true;
      } else if (mode < 87) { // malformed chunked body: refused, connection over
        headers.add("Transfer-Encoding: chunked");
        sentBody = malformedChunked(body);
        framing = Framing.DUBIOUS;
      } else if (mode < 92) { // a body shorter than declared, then the client gives up
        int declared = body.length + 1 + rnd.nextInt(chance(10) ? 10_000_000 : 1000);
        headers.add("Content-Length: " + declared);
        framing = Framing.INCOMPLETE;
      } else { // Content-Length that does not frame the body
        framing = Framing.DUBIOUS;
        headers.add(pick(new String[] {"Content-Length: -1", "Content-Length: " + body.length + "\u0000",
            "Content-Length: " + Math.max(0, body.length - 1 - rnd.nextInt(100)), "Content-Length: x",
            "Content-Length: " + body.length + "|Content-Length: " + body.length,
            "Content-Length: " + body.length + "|Content-Length: " + (body.length + 1),
            "Content-Length: " + body.length + ", " + body.length, "Content-Length: 99999999999999999999",
            "Content-Length: +" + body.length, "Content-Length:  " + body.length + " ",
            "Content-Length: " + body.length + "|Transfer-Encoding: chunked", "Transfer-Encoding: gzip",
            "Transfer-Encoding: chunked, identity", "Transfer-Encoding: chunked|Transfer-Encoding: chunked"})
            .replace("|", eol));
      }
      java.util.Collections.shuffle(headers, rnd);
      for (String h : headers) {
        head.append(h).append(eol);
      }
      head.append(eol);
      // A request with a mangled request line or headers may be refused before its body is read: the body then
      // reads as the next request. Such requests are dubious however they are framed.
      boolean mangled = !sep.equals(" ") || !eol.equals("\r\n") || !version.equals("HTTP/1.1")
          || method.isEmpty() || method.contains("\t") || target.contains(" ") || target.length() > 3000
          || head.length() > 16_000;
      if (mangled && framing == Framing.CLEAN) {
        framing = Framing.DUBIOUS;
      }
      Req r = new Req(method + " " + Text.abbreviate(target, 120), method, head.toString().getBytes(ISO_8859_1),
          sentBody, framing, expectContinue && framing == Framing.CLEAN);
      addOracle(r, method, target, headers);
      return r;
    }

    byte[] body(String method, String target) {
      int k = rnd.nextInt(100);
      boolean bodyMethod = method.equals("PUT") || method.equals("POST") || method.equals("PATCH");
      if (!bodyMethod && k < 85) {
        return new byte[0];
      }
      if (k < 15) {
        return new byte[0];
      }
      if (k < 35) {
        return randomBytes(chance(5) ? rnd.nextInt(400_000) : rnd.nextInt(5000), rnd.nextLong());
      }
      if (k < 55) {
        return randomJson(0).getBytes(UTF_8);
      }
      return manifest().getBytes(UTF_8);
    }

    String randomJson(int depth) {
      int k = rnd.nextInt(depth > 4 ? 5 : 9);
      return switch (k) {
        case 0 -> String.valueOf(rnd.nextInt());
        case 1 -> "\"" + alnum(0, 10, "abc\\\"\u00e9 ") + "\"";
        case 2 -> pick(new String[] {"true", "false", "null", "1e999", "-0", "99999999999999999999999", "\"\\ud800\""});
        case 3 -> "\"" + digest() + "\"";
        case 4 -> pick(new String[] {"{", "[", "\"", "}", "{\"a\":1,\"a\":2}", "[" .repeat(3000), "{\"schemaVersion\":2}"});
        case 5, 6 -> {
          StringBuilder b = new StringBuilder("{");
          int n = rnd.nextInt(5);
          for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append('"').append(pick(new String[] {"schemaVersion", "mediaType", "config",
                "layers", "manifests", "subject", "digest", "size", "artifactType", "annotations", "urls", "x"}))
                .append("\":").append(randomJson(depth + 1));
          }
          yield b.append('}').toString();
        }
        default -> {
          StringBuilder b = new StringBuilder("[");
          int n = rnd.nextInt(4);
          for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append(randomJson(depth + 1));
          }
          yield b.append(']').toString();
        }
      };
    }

    String descriptor(String mediaType) {
      boolean known = chance(60);
      String digest = known ? pick(fuzzDigests) : digest();
      long size = known ? (digest.equals(sha256(fuzzConfig)) ? fuzzConfig.length : fuzzLayer.length) : rnd.nextInt(5000);
      if (chance(10)) {
        size = pick(new Long[] {-1L, 0L, Long.MAX_VALUE, 1L << 53});
      }
      return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size
          + (chance(10) ? ",\"annotations\":{\"a\":" + randomJson(3) + "}" : "") + "}";
    }

    String manifest() {
      int k = rnd.nextInt(10);
      if (k < 5) {
        String mt = chance(80) ? OCI_MANIFEST : pick(MEDIA_TYPES);
        StringBuilder layers = new StringBuilder();
        int n = rnd.nextInt(4);
        for (int i = 0; i < n; i++) {
          layers.append(i == 0 ? "" : ",").append(descriptor("application/vnd.oci.image.layer.v1.tar+gzip"));
        }
        return "{\"schemaVersion\":" + (chance(90) ? "2" : pick(new String[] {"1", "\"2\"", "2.0", "null"}))
            + (chance(80) ? ",\"mediaType\":\"" + mt + "\"" : "")
            + ",\"config\":" + descriptor("application/vnd.oci.image.config.v1+json")
            + ",\"layers\":[" + layers + "]"
            + (chance(15) ? ",\"subject\":" + descriptor(OCI_MANIFEST) : "")
            + (chance(10) ? ",\"artifactType\":\"" + pick(new String[] {"application/x", "", "a/b/c"}) + "\"" : "")
            + "}";
      }
      if (k < 7) {
        StringBuilder ms = new StringBuilder();
        int n = rnd.nextInt(3);
        for (int i = 0; i < n; i++) {
          ms.append(i == 0 ? "" : ",").append(descriptor(OCI_MANIFEST));
        }
        return "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[" + ms
            + "]}";
      }
      if (k < 8) {
        return "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
            + "\"config\":" + descriptor("application/vnd.docker.container.image.v1+json") + ",\"layers\":["
            + descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip") + "]}";
      }
      if (k < 9) {
        return "{\"schemaVersion\":1,\"name\":\"fuzz/a\",\"tag\":\"v1\",\"fsLayers\":[],\"signatures\":[]}";
      }
      return "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":" + randomJson(2)
          + ",\"layers\":" + randomJson(2) + "}";
    }

    /** Oracles for requests whose answer we know: reads of content the workflows pushed. */
    void addOracle(Req r, String method, String target, List<String> headers) {
      String fuzzHarvest = "/blobs/uploads/";
      r.harvest = resp -> {
        String loc = resp.header("Location");
        if (loc != null && loc.startsWith("/v2/fuzz/") && loc.contains(fuzzHarvest) && fuzzUploads.size() < 200) {
          fuzzUploads.add(loc.substring(loc.lastIndexOf('/') + 1));
        }
      };
      if (!method.equals("GET") || r.framing != Framing.CLEAN || r.body.length > 0
          || headers.stream().anyMatch(h -> h.startsWith("Content-Range") || h.startsWith("Accept")
          || h.startsWith("X-") || h.startsWith(" ") || h.startsWith("Transfer") || h.startsWith("Upgrade"))) {
        return;
      }
      // GET /v2/keep/wN/blobs/<digest> of a kept blob, optionally with a Range header
      for (Map.Entry<String, Map<String, byte[]>> repo : keepBlobs.entrySet()) {
        String prefix = "/v2/" + repo.getKey() + "/blobs/";
        if (!target.startsWith(prefix)) {
          continue;
        }
        byte[] content = repo.getValue().get(target.substring(prefix.length()));
        if (content == null) {
          return;
        }
        String range = headers.stream().filter(h -> h.startsWith("Range: ")).map(h -> h.substring(7)).findFirst()
            .orElse(null);
        r.check = resp -> blobOracle(content, range, resp);
      }
    }
  }

  /** What a GET of a kept blob must answer, with an optional Range header (only the simple forms are checked). */
  static String blobOracle(byte[] content, String range, RawHttp.Response resp) {
    if (range == null || !range.matches("bytes=\\d{1,9}-\\d{1,9}")) {
      if (range == null && (resp.status() != 200 || !Arrays.equals(content, resp.body()))) {
        return "a kept blob of " + content.length + " bytes answered " + resp.status() + " with "
            + resp.body().length + " bytes";
      }
      return null;
    }
    String[] se = range.substring(6).split("-");
    int start = Integer.parseInt(se[0]);
    int end = Integer.parseInt(se[1]);
    if (end < start) {
      return resp.status() == 200 && Arrays.equals(content, resp.body()) ? null : "invalid range not ignored";
    }
    if (start >= content.length) {
      return resp.status() == 416 ? null : "unsatisfiable range answered " + resp.status();
    }
    byte[] expected = slice(content, start, Math.min(end, content.length - 1) + 1);
    return resp.status() == 206 && Arrays.equals(expected, resp.body()) ? null
        : "range " + range + " of " + content.length + " bytes answered " + resp.status() + " with "
            + resp.body().length + " bytes";
  }

  /** A valid chunked encoding of {@code body}: random chunk sizes, sometimes all tiny, extensions, trailers. */
  static byte[] chunked(byte[] body, Random rnd, boolean tiny) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int at = 0;
    while (at < body.length) {
      int n = tiny ? 1 + rnd.nextInt(3) : 1 + rnd.nextInt(Math.min(body.length - at, 70_000));
      n = Math.min(n, body.length - at);
      String size = Integer.toHexString(n);
      if (rnd.nextInt(20) == 0) {
        size = size.toUpperCase() + ";ext=" + rnd.nextInt(9);
      }
      out.writeBytes((size + "\r\n").getBytes(ISO_8859_1));
      out.write(body, at, n);
      out.writeBytes("\r\n".getBytes(ISO_8859_1));
      at += n;
    }
    out.writeBytes((rnd.nextInt(10) == 0 ? "0\r\nX-Trailer: t\r\n\r\n" : "0\r\n\r\n").getBytes(ISO_8859_1));
    return out.toByteArray();
  }

  byte[] malformedChunked(byte[] body) {
    byte[] first = slice(body, 0, Math.min(body.length, 100));
    String[] breaks = {"zz\r\nhello\r\n0\r\n\r\n", "-5\r\nhello\r\n0\r\n\r\n", "fffffffffffffffffffff\r\nx\r\n0\r\n\r\n",
        "5\r\nhello world\r\n0\r\n\r\n", "5\r\nhelloXX0\r\n\r\n", " \r\n\r\n", "7fffffff\r\nabc\r\n0\r\n\r\n",
        "1\r\n\r\n\r\n0\r\n\r\n", "0\r\nbad trailer\r\n\r\n"};
    String tail = breaks[Math.floorMod(Arrays.hashCode(body), breaks.length)];
    return concat(concat((Integer.toHexString(first.length) + "\r\n").getBytes(ISO_8859_1), first),
        concat("\r\n".getBytes(ISO_8859_1), tail.getBytes(ISO_8859_1)));
  }

  static final class Text {
    static String abbreviate(String s, int max) {
      return s.length() <= max ? s : s.substring(0, max) + "...(" + s.length() + " chars)";
    }
  }
}
