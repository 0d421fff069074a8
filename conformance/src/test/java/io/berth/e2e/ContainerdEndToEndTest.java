package io.berth.e2e;

import static io.berth.e2e.HttpAssertions.header;
import static io.berth.e2e.HttpAssertions.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.e2e.BuildxLayouts.Built;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * containerd's {@code ctr} pushing and pulling the shapes buildx and buildkit produce. buildx is not installable
 * here, but buildkit pushes through containerd's {@code remotes/docker} pusher, which ctr drives too. So the test
 * builds what buildx would build and lets containerd push it:
 * <ul>
 *   <li>a two-platform OCI index with buildx's default provenance: one attestation manifest per platform
 *       ({@code unknown/unknown}, {@code vnd.docker.reference.*} annotations, an in-toto layer);</li>
 *   <li>a tag moving from that index to a single manifest and back, which buildx does when a build changes
 *       from multi- to single-platform;</li>
 *   <li>a buildkit cache index, whose entries are layer blobs and a cache config, not manifests.</li>
 * </ul>
 * ctr's {@code --http-dump} shows the requests containerd sent, so the test can tell an upload from a skip.
 * Runs on each storage backend, with a containerd of each run's own.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(StorageBackend.Kind.class)
class ContainerdEndToEndTest {
  private static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  /** A request line as {@code ctr --http-dump} logs it. */
  private static final Pattern REQUEST_LINE =
      Pattern.compile("\\b(HEAD|GET|PUT|POST|PATCH|DELETE) (/v2/[^ \"\\\\]*) HTTP/1\\.1");

  @RegisterExtension
  static final PrintLogsOnFailure LOGS = new PrintLogsOnFailure();

  @TempDir
  static Path temp;

  /** The storage backend of this run. */
  @Parameter
  StorageBackend.Kind backend;

  /** This run's directory, under {@link #temp}. */
  static Path workDir;
  static StorageBackend storage;
  static BerthProcess berth;
  static ContainerdDaemon containerd;
  static BuildxLayouts layouts;

  @BeforeParameterizedClassInvocation
  static void start(StorageBackend.Kind kind) throws Exception {
    Clients.require("containerd", "ctr");
    Clients.requireRoot();
    workDir = Files.createDirectories(temp.resolve(kind.dirName()));
    storage = StorageBackend.start(kind, workDir);
    berth = BerthProcess.start(Files.createDirectories(workDir.resolve("berth")), storage);
    LOGS.watch("berth", berth.logFile());
    containerd = ContainerdDaemon.start();
    LOGS.watch("containerd", containerd.logFile());
    layouts = new BuildxLayouts(workDir.resolve("layouts"));
  }

  @AfterEach
  void nothingLeftBehind() {
    storage.assertNoLeftovers();
  }

  @AfterParameterizedClassInvocation
  static void stop() throws Exception {
    try {
      Closeables.closeAll(containerd, berth, storage);
    } finally {
      containerd = null;
      berth = null;
      storage = null;
    }
  }

  /** A request containerd sent, from its --http-dump output. */
  record Request(String method, String path) {}

  @Test
  void buildxIndexWithAttestationsPushesSkipsWhenPresentAndPullsBackIdentical() throws IOException {
    String ns = "buildx";
    Built image = layouts.buildxImage("buildx", "round trip");
    containerd.ctr(ns, "images", "import", "--all-platforms", "--no-unpack", "--base-name", "local/buildx",
        image.tar().toString()).check();
    String remote = berth.hostPort() + "/team/buildx:1";

    // First push: every blob is new, so each is uploaded; child manifests go by digest, the index by tag last.
    List<Request> first = push(ns, remote, "local/buildx:1");
    assertEquals(image.blobs().size(), count(first, "POST", "/v2/team/buildx/blobs/uploads/"),
        "one upload per blob expected:\n" + first);
    List<String> manifestPuts = paths(first, "PUT", "/v2/team/buildx/manifests/");
    assertEquals("/v2/team/buildx/manifests/1", manifestPuts.getLast(), "the index must be pushed last: " + first);
    Set<String> childPuts = new LinkedHashSet<>(manifestPuts.subList(0, manifestPuts.size() - 1));
    assertEquals(prefixed("/v2/team/buildx/manifests/", image.manifests().keySet()), childPuts);

    // The registry holds the index under the tag byte for byte, every child by digest, every blob.
    HttpResponse<byte[]> stored = ok(berth.get("/v2/team/buildx/manifests/1", OCI_INDEX));
    assertEquals(OCI_INDEX, header(stored, "Content-Type"));
    assertEquals(image.digest(), header(stored, "Docker-Content-Digest"));
    assertArrayEquals(image.bytes(), stored.body(), "stored index bytes differ from the pushed ones");
    assertRepositoryHolds("team/buildx", image);
    storage.assertImage("team/buildx", "1", image.bytes());

    // Pushing the same image again uploads nothing: blobs and children are found by HEAD, and the index is
    // skipped because HEAD on the tag returns the same Docker-Content-Digest.
    List<Request> again = push(ns, remote, "local/buildx:1");
    assertEquals(List.of(), writes(again), "the second push of an unchanged image must only HEAD");
    assertTrue(again.contains(new Request("HEAD", "/v2/team/buildx/manifests/1")), again.toString());

    // A second tag of the same image: only the index is written, under the new tag.
    List<Request> secondTag = push(ns, berth.hostPort() + "/team/buildx:2", "local/buildx:1");
    assertEquals(List.of(new Request("PUT", "/v2/team/buildx/manifests/2")), writes(secondTag));
    assertEquals(image.digest(), header(ok(berth.get("/v2/team/buildx/manifests/2", OCI_INDEX)), "Docker-Content-Digest"));
    assertEquals("[\"1\",\"2\"]", OciLayout.parse(ok(berth.get("/v2/team/buildx/tags/list")).body()).path("tags").toString());

    // Pull back into an empty namespace, so every byte has to come from Berth.
    containerd.ctr(ns, "images", "rm", "--sync", "local/buildx:1").check();
    assertEquals("", containerd.ctr(ns, "content", "ls", "--quiet").check().stdout().trim(),
        "content left in the namespace after removing the image");
    fetchAllPlatforms(ns, remote);
    assertEquals(image.digest(), localDigest(ns, remote));
    String check = containerd.ctr(ns, "images", "check").check().stdout();
    assertTrue(check.lines().anyMatch(line -> line.startsWith(remote + " ") && line.contains(image.digest())
        && line.contains("complete")), "ctr images check does not find the pulled image complete:\n" + check);
    assertContainerdHolds(ns, image);

    // Unpacking the host platform decompresses the layer and checks it against the config's diff_id.
    containerd.ctr(ns, "images", "pull", "--plain-http", "--platform", "linux/amd64", remote).check();
    String unpacked = containerd.ctr(ns, "images", "check").check().stdout();
    assertTrue(unpacked.lines().anyMatch(line -> line.startsWith(remote + " ") && line.trim().endsWith("true")),
        "linux/amd64 not unpacked:\n" + unpacked);
  }

  /** buildx pushes a single-platform build as a plain manifest, onto a tag that may hold an index, and back. */
  @Test
  void tagMovesFromIndexToSingleManifestAndBack() throws IOException {
    String ns = "moving";
    Built index = layouts.buildxImage("moving-index", "moving tag");
    Built single = layouts.singleImage("moving-single");
    containerd.ctr(ns, "images", "import", "--all-platforms", "--no-unpack", "--base-name", "local/index",
        index.tar().toString()).check();
    containerd.ctr(ns, "images", "import", "--all-platforms", "--no-unpack", "--base-name", "local/single",
        single.tar().toString()).check();
    String remote = berth.hostPort() + "/team/moving:latest";

    push(ns, remote, "local/index:1");
    assertTagResolvesTo("team/moving", "latest", index);

    List<Request> toSingle = push(ns, remote, "local/single:1");
    assertEquals(single.blobs().size(), count(toSingle, "POST", "/v2/team/moving/blobs/uploads/"),
        "the single image's blobs are new and must be uploaded:\n" + toSingle);
    assertTrue(toSingle.contains(new Request("PUT", "/v2/team/moving/manifests/latest")), toSingle.toString());
    assertTagResolvesTo("team/moving", "latest", single);
    assertRepositoryHolds("team/moving", single);
    storage.assertImage("team/moving", "latest", single.bytes());
    // The index the tag left is still there by digest, children and all.
    assertRepositoryHolds("team/moving", index);
    assertArrayEquals(index.bytes(), ok(berth.get("/v2/team/moving/manifests/" + index.digest(), OCI_INDEX)).body());

    // containerd resolves the moved tag to the single manifest.
    fetchAllPlatforms("moving-pull", remote);
    assertEquals(single.digest(), localDigest("moving-pull", remote));

    // And back to the index.
    List<Request> back = push(ns, remote, "local/index:1");
    assertEquals(List.of(new Request("PUT", "/v2/team/moving/manifests/latest")), writes(back),
        "only the tag may be written when moving it back to a stored index");
    assertTagResolvesTo("team/moving", "latest", index);
  }

  /**
   * A buildkit registry cache ({@code --cache-to type=registry}): an OCI index whose entries are layer blobs
   * and a cache config, not manifests, with one layer listed twice. It must be stored and served unchanged.
   */
  @Test
  void buildkitCacheIndexIsStoredAndServedByteForByte() throws IOException {
    String ns = "cache";
    Built cache = layouts.cacheIndex("cache");
    containerd.ctr(ns, "images", "import", "--all-platforms", "--no-unpack", "--base-name", "local/cache",
        cache.tar().toString()).check();
    String remote = berth.hostPort() + "/team/cache:buildcache";

    List<Request> pushed = push(ns, remote, "local/cache:buildcache");
    assertEquals("/v2/team/cache/manifests/buildcache", paths(pushed, "PUT", "/v2/team/cache/manifests/").getLast());

    HttpResponse<byte[]> stored = ok(berth.get("/v2/team/cache/manifests/buildcache", OCI_INDEX));
    assertEquals(OCI_INDEX, header(stored, "Content-Type"));
    assertEquals(cache.digest(), header(stored, "Docker-Content-Digest"));
    assertArrayEquals(cache.bytes(), stored.body(), "stored cache index bytes differ from the pushed ones");
    assertRepositoryHolds("team/cache", cache);
    storage.assertImage("team/cache", "buildcache", cache.bytes());

    fetchAllPlatforms("cache-pull", remote);
    assertEquals(cache.digest(), localDigest("cache-pull", remote));
    assertContainerdHolds("cache-pull", cache);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Driving ctr.

  /** {@code ctr images push} with --http-dump; returns the requests containerd sent. */
  private static List<Request> push(String ns, String remote, String local) {
    Command.Result result =
        containerd.ctr(ns, "images", "push", "--plain-http", "--http-dump", remote, local).check();
    List<Request> requests = new ArrayList<>();
    Matcher matcher = REQUEST_LINE.matcher(result.output());
    while (matcher.find()) {
      requests.add(new Request(matcher.group(1), matcher.group(2)));
    }
    assertFalse(requests.isEmpty(), "no requests in ctr's --http-dump output:\n" + result.describe());
    return requests;
  }

  /**
   * Fetches an image with everything it references, without unpacking. {@code ctr images pull --all-platforms}
   * fetches the same content but then tries to unpack the attestation "platform" unknown/unknown too, and ctr
   * 1.6 fails on the in-toto layer ("no processor for media-type"); that is ctr's limit, not the registry's.
   */
  private static void fetchAllPlatforms(String ns, String remote) {
    containerd.ctr(ns, "content", "fetch", "--plain-http", "--all-platforms", remote).check();
  }

  /** The digest of a local image as {@code ctr images ls} shows it (columns: REF TYPE DIGEST ...). */
  private static String localDigest(String ns, String ref) {
    String list = containerd.ctr(ns, "images", "ls").check().stdout();
    return list.lines()
        .map(line -> line.trim().split("\\s+"))
        .filter(columns -> columns[0].equals(ref))
        .map(columns -> columns[2])
        .findFirst()
        .orElseThrow(() -> new AssertionError("no image " + ref + " in\n" + list));
  }

  /** containerd's content store has each piece of content with exactly the bytes the test built. */
  private static void assertContainerdHolds(String ns, Built built) {
    built.everything().forEach((digest, bytes) ->
        assertArrayEquals(bytes, containerd.ctr(ns, "content", "get", digest).check().stdoutBytes(),
            "containerd fetched other bytes for " + digest));
  }

  private static List<Request> writes(List<Request> requests) {
    return requests.stream().filter(r -> !r.method().equals("HEAD") && !r.method().equals("GET")).toList();
  }

  private static long count(List<Request> requests, String method, String path) {
    return requests.stream().filter(r -> r.method().equals(method) && r.path().equals(path)).count();
  }

  private static List<String> paths(List<Request> requests, String method, String prefix) {
    return requests.stream()
        .filter(r -> r.method().equals(method) && r.path().startsWith(prefix))
        .map(Request::path)
        .toList();
  }

  private static Set<String> prefixed(String prefix, Set<String> digests) {
    Set<String> paths = new LinkedHashSet<>();
    digests.forEach(digest -> paths.add(prefix + digest));
    return paths;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Checking the registry.

  private static void assertTagResolvesTo(String repo, String tag, Built built) throws IOException {
    HttpResponse<byte[]> byTag = ok(berth.get("/v2/" + repo + "/manifests/" + tag, OCI_INDEX, OCI_MANIFEST));
    assertEquals(built.mediaType(), header(byTag, "Content-Type"));
    assertEquals(built.digest(), header(byTag, "Docker-Content-Digest"));
    assertArrayEquals(built.bytes(), byTag.body());
    HttpResponse<byte[]> head = berth.head("/v2/" + repo + "/manifests/" + tag);
    assertEquals(200, head.statusCode());
    assertEquals(built.digest(), header(head, "Docker-Content-Digest"), "HEAD on the tag disagrees with GET");
  }

  /** Every child manifest by digest and every blob, with the exact bytes that were built. */
  private static void assertRepositoryHolds(String repo, Built built) throws IOException {
    for (Map.Entry<String, byte[]> manifest : built.manifests().entrySet()) {
      HttpResponse<byte[]> response = ok(berth.get("/v2/" + repo + "/manifests/" + manifest.getKey(), OCI_MANIFEST));
      assertEquals(OCI_MANIFEST, header(response, "Content-Type"));
      assertEquals(manifest.getKey(), header(response, "Docker-Content-Digest"));
      assertArrayEquals(manifest.getValue(), response.body(), "manifest " + manifest.getKey() + " changed");
    }
    for (Map.Entry<String, byte[]> blob : built.blobs().entrySet()) {
      HttpResponse<byte[]> response = ok(berth.get("/v2/" + repo + "/blobs/" + blob.getKey()));
      assertArrayEquals(blob.getValue(), response.body(), "blob " + blob.getKey() + " changed");
    }
  }
}
