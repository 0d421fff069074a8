package io.berth.conformance;

import static io.berth.conformance.Responses.assertError;
import static io.berth.conformance.Responses.assertHeader;
import static io.berth.conformance.Responses.assertStatus;
import static io.berth.conformance.Responses.describe;
import static io.berth.conformance.Responses.header;
import static io.berth.conformance.Responses.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.berth.server.RegistryServer;
import io.berth.server.config.ServerConfig;
import io.berth.storage.s3.S3ProxyServer;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Berth scaled out: two instances in this JVM on two loopback ports, each with its own S3 driver, over one S3Proxy
 * bucket and the same prefix, as two stateless replicas behind a load balancer would run. Everything is black-box
 * over HTTP: what one instance was told, the other must serve at once, and requests of one push may land on either.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ScaleOutTest {
  private static final int MIB = 1 << 20;

  private S3ProxyServer s3;
  private String prefix;
  private RegistryServer serverA;
  private RegistryServer serverB;
  private RegistryClient a;
  private RegistryClient b;

  @BeforeAll
  void start() throws Exception {
    s3 = S3ProxyServer.start();
    prefix = "scaleout-" + UUID.randomUUID();
    ServerConfig config = ServerConfig.DEFAULTS
        .withAddr("127.0.0.1:0")
        .withS3(BerthS3ConformanceTest.s3Settings(s3, prefix))
        .withDeleteEnabled(true);
    serverA = RegistryServer.start(config);
    serverB = RegistryServer.start(config);
    a = new RegistryClient(URI.create(serverA.baseUrl()));
    b = new RegistryClient(URI.create(serverB.baseUrl()));
  }

  @AfterAll
  void stop() throws Exception {
    try (S3ProxyServer closing = s3) {
      if (serverA != null) {
        serverA.close();
      }
      if (serverB != null) {
        serverB.close();
      }
    }
  }

  @Test
  void pushedThroughOnePulledThroughTheOtherByteForByte() {
    String repo = Workflow.newRepo("scaleout-pull");
    Blob config = Blob.of("{\"architecture\":\"amd64\",\"os\":\"linux\"}");
    Blob layer = Blob.random(300_000);
    new Pusher(a).blob(repo, config);
    new Pusher(a).blob(repo, layer);
    Manifest image = ImageManifestBuilder.oci().config(config).layer(layer).build();
    new Pusher(a).manifest(repo, "v1", image);
    Blob empty = Blob.of("{}");
    new Pusher(a).blob(repo, empty);
    Manifest sbom = ImageManifestBuilder.oci().artifactType("application/vnd.example.sbom.v1").config(empty)
        .configMediaType(MediaTypes.OCI_EMPTY).subject(image).build();
    new Pusher(a).manifest(repo, sbom.digest(), sbom);

    for (String reference : List.of("v1", image.digest())) {
      HttpResponse<byte[]> manifest = b.get("/v2/" + repo + "/manifests/" + reference,
          "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS);
      assertStatus(200, manifest);
      assertArrayEquals(image.bytes(), manifest.body(), "manifest by " + reference);
      assertHeader(image.digest(), "Docker-Content-Digest", manifest);
      assertHeader(MediaTypes.OCI_MANIFEST, "Content-Type", manifest);
      HttpResponse<byte[]> head = b.head("/v2/" + repo + "/manifests/" + reference,
          "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS);
      assertStatus(200, head);
      assertHeader(String.valueOf(image.size()), "Content-Length", head);
    }
    for (Blob blob : List.of(config, layer)) {
      HttpResponse<byte[]> whole = b.get("/v2/" + repo + "/blobs/" + blob.digest());
      assertStatus(200, whole);
      assertArrayEquals(blob.bytes(), whole.body());
      assertHeader(blob.digest(), "Docker-Content-Digest", whole);
    }
    HttpResponse<byte[]> range = b.get("/v2/" + repo + "/blobs/" + layer.digest(), "Range", "bytes=123456-200000");
    assertStatus(206, range);
    assertHeader("bytes 123456-200000/" + layer.size(), "Content-Range", range);
    assertArrayEquals(Arrays.copyOfRange(layer.bytes(), 123456, 200001), range.body());

    HttpResponse<byte[]> tags = b.get("/v2/" + repo + "/tags/list");
    assertStatus(200, tags);
    assertEquals(List.of("v1"), texts(json(tags).path("tags")));

    HttpResponse<byte[]> referrers = b.get("/v2/" + repo + "/referrers/" + image.digest());
    assertStatus(200, referrers);
    List<String> referrerDigests = new ArrayList<>();
    json(referrers).path("manifests").forEach(d -> referrerDigests.add(d.path("digest").asText()));
    assertEquals(List.of(sbom.digest()), referrerDigests);
  }

  /** Chunks of 6 MiB: each above the 5 MiB part size, so each is a multipart segment, composed by part copies. */
  @Test
  void chunksAboveThePartSizeAlternatingBetweenInstances() {
    chunkedUploadAlternating(List.of(6 * MIB, 6 * MIB, 6 * MIB), 0);
  }

  /** Chunks of 1 MiB and a tail sent with the closing PUT: segments too small for part copies, composed by streaming. */
  @Test
  void smallChunksAlternatingBetweenInstances() {
    chunkedUploadAlternating(List.of(MIB, MIB, MIB, MIB), 100_000);
  }

  /**
   * POST on A, then PATCH i on B, A, B, ... with {@code Content-Range}; after each PATCH the other instance reports
   * the upload's progress; the PUT (with {@code tail} bytes as its body) goes to the instance after the last PATCH.
   */
  private void chunkedUploadAlternating(List<Integer> chunkSizes, int tail) {
    String repo = Workflow.newRepo("scaleout-chunks");
    int total = chunkSizes.stream().mapToInt(Integer::intValue).sum() + tail;
    Blob blob = Blob.random(total);
    RegistryClient[] instances = {a, b};

    HttpResponse<byte[]> started = a.post("/v2/" + repo + "/blobs/uploads/", new byte[0]);
    assertStatus(202, started);
    String location = header(started, "Location");
    int offset = 0;
    int turn = 1; // B first
    for (int size : chunkSizes) {
      RegistryClient writer = instances[turn % 2];
      RegistryClient other = instances[(turn + 1) % 2];
      byte[] chunk = Arrays.copyOfRange(blob.bytes(), offset, offset + size);
      HttpResponse<byte[]> patched = writer.patch(location, chunk, "Content-Type", "application/octet-stream",
          "Content-Range", offset + "-" + (offset + size - 1));
      assertStatus(202, patched);
      offset += size;
      assertHeader("0-" + (offset - 1), "Range", patched);
      location = header(patched, "Location");
      HttpResponse<byte[]> status = other.get(location);
      assertStatus(204, status);
      assertHeader("0-" + (offset - 1), "Range", status);
      turn++;
    }
    RegistryClient closer = instances[turn % 2];
    byte[] last = Arrays.copyOfRange(blob.bytes(), offset, total);
    HttpResponse<byte[]> finished = tail == 0
        ? closer.put(RegistryClient.withQuery(location, "digest=" + blob.digest()), last)
        : closer.put(RegistryClient.withQuery(location, "digest=" + blob.digest()), last,
            "Content-Type", "application/octet-stream", "Content-Range", offset + "-" + (total - 1));
    assertStatus(201, finished);
    assertHeader(blob.digest(), "Docker-Content-Digest", finished);

    for (RegistryClient reader : instances) {
      HttpResponse<byte[]> pulled = reader.get("/v2/" + repo + "/blobs/" + blob.digest());
      assertStatus(200, pulled);
      assertEquals(blob.digest(), Digests.sha256(pulled.body()), "content pulled back");
      HttpResponse<byte[]> head = reader.head("/v2/" + repo + "/blobs/" + blob.digest());
      assertHeader(String.valueOf(total), "Content-Length", head);
    }
  }

  @Test
  void aWrongDigestIsRefusedOnEitherInstanceAndNothingIsStored() {
    wrongDigestRefused(a, b);
    wrongDigestRefused(b, a);
  }

  /** POST on {@code first}, PATCH on {@code second}, PUT with a wrong digest on {@code first}. */
  private void wrongDigestRefused(RegistryClient first, RegistryClient second) {
    String repo = Workflow.newRepo("scaleout-baddigest");
    Blob sent = Blob.random(6 * MIB + 1234);
    Blob claimed = Blob.random(16);

    HttpResponse<byte[]> started = first.post("/v2/" + repo + "/blobs/uploads/", new byte[0]);
    assertStatus(202, started);
    HttpResponse<byte[]> patched = second.patch(header(started, "Location"), sent.bytes(),
        "Content-Type", "application/octet-stream", "Content-Range", "0-" + (sent.size() - 1));
    assertStatus(202, patched);
    String location = header(patched, "Location");
    HttpResponse<byte[]> refused = first.put(RegistryClient.withQuery(location, "digest=" + claimed.digest()),
        new byte[0]);
    assertError(400, "DIGEST_INVALID", refused);

    for (RegistryClient client : List.of(a, b)) {
      for (String digest : List.of(sent.digest(), claimed.digest())) {
        assertError(404, "BLOB_UNKNOWN", client.get("/v2/" + repo + "/blobs/" + digest));
      }
      assertError(404, "BLOB_UPLOAD_UNKNOWN", client.get(location));
    }
    // Behind the API: no content under either digest, and nothing left of the session.
    try (S3Client client = s3.client()) {
      for (String digest : List.of(sent.digest(), claimed.digest())) {
        String hex = digest.substring("sha256:".length());
        String key = prefix + "/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data";
        assertTrue(client.listObjectsV2(r -> r.bucket(s3.bucket()).prefix(key)).contents().isEmpty(),
            () -> "stored: " + key);
      }
      List<String> left = new ArrayList<>();
      for (String under : List.of(prefix + "/repositories/" + repo + "/_uploads/",
          prefix + "/.appended/repositories/" + repo + "/_uploads/")) {
        client.listObjectsV2(r -> r.bucket(s3.bucket()).prefix(under)).contents().forEach(o -> left.add(o.key()));
      }
      assertEquals(List.of(), left, "upload objects left behind");
    }
  }

  @Test
  void aStreamedPatchOnOneCompletedOnTheOther() {
    String repo = Workflow.newRepo("scaleout-streamed");
    Blob blob = Blob.random(7 * MIB + 4321);

    HttpResponse<byte[]> started = a.post("/v2/" + repo + "/blobs/uploads/", new byte[0]);
    assertStatus(202, started);
    HttpResponse<byte[]> streamed = a.patchStreamed(header(started, "Location"), blob.bytes(),
        "Content-Type", "application/octet-stream");
    assertStatus(202, streamed);
    assertHeader("0-" + (blob.size() - 1), "Range", streamed);
    HttpResponse<byte[]> finished = b.put(
        RegistryClient.withQuery(header(streamed, "Location"), "digest=" + blob.digest()), new byte[0]);
    assertStatus(201, finished);

    for (RegistryClient client : List.of(a, b)) {
      HttpResponse<byte[]> pulled = client.get("/v2/" + repo + "/blobs/" + blob.digest());
      assertStatus(200, pulled);
      assertArrayEquals(blob.bytes(), pulled.body());
    }
  }

  /**
   * Both instances push a different manifest to the same tag at the same moment, round after round, while a reader
   * pulls the tag: no request fails with a 5xx, every read gets a whole pushed manifest, and after each round the tag
   * names the same manifest on both instances, one of the two pushed, readable whole by digest on both.
   */
  @Test
  void concurrentPushesOfOneTagFromBothInstances() throws Exception {
    String repo = Workflow.newRepo("scaleout-race");
    Blob config = Blob.of("{\"architecture\":\"amd64\",\"os\":\"linux\"}");
    Blob layer = Blob.random(2048);
    new Pusher(a).blob(repo, config);
    new Pusher(a).blob(repo, layer);
    Map<String, byte[]> pushed = new ConcurrentHashMap<>();
    List<String> serverErrors = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean pushing = new AtomicBoolean(true);
    String tagPath = "/v2/" + repo + "/manifests/latest";

    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      Future<Integer> reader = pool.submit(() -> {
        int reads = 0;
        while (pushing.get()) {
          for (RegistryClient client : List.of(a, b)) {
            HttpResponse<byte[]> got = client.get(tagPath, "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS);
            reads++;
            if (got.statusCode() >= 500) {
              serverErrors.add(describe(got));
            } else if (got.statusCode() == 200) {
              String digest = header(got, "Docker-Content-Digest");
              byte[] expected = pushed.get(digest);
              if (expected == null || !Arrays.equals(expected, got.body())) {
                serverErrors.add("read of the tag got something never pushed whole: " + describe(got));
              }
            }
          }
        }
        return reads;
      });
      for (int round = 0; round < 25; round++) {
        Manifest fromA = ImageManifestBuilder.oci().config(config).layer(layer)
            .annotation("round", round + "a").build();
        Manifest fromB = ImageManifestBuilder.oci().config(config).layer(layer)
            .annotation("round", round + "b").build();
        pushed.put(fromA.digest(), fromA.bytes());
        pushed.put(fromB.digest(), fromB.bytes());
        CyclicBarrier together = new CyclicBarrier(2);
        Future<HttpResponse<byte[]>> pushA = pool.submit(() -> {
          together.await();
          return a.put(tagPath, fromA.bytes(), "Content-Type", fromA.mediaType());
        });
        HttpResponse<byte[]> resultB;
        together.await();
        resultB = b.put(tagPath, fromB.bytes(), "Content-Type", fromB.mediaType());
        HttpResponse<byte[]> resultA = pushA.get(30, TimeUnit.SECONDS);
        assertStatus(201, resultA);
        assertStatus(201, resultB);

        HttpResponse<byte[]> onA = a.get(tagPath, "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS);
        HttpResponse<byte[]> onB = b.get(tagPath, "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS);
        assertStatus(200, onA);
        assertStatus(200, onB);
        String winner = header(onA, "Docker-Content-Digest");
        assertEquals(winner, header(onB, "Docker-Content-Digest"), "the tag on A and on B");
        assertTrue(Set.of(fromA.digest(), fromB.digest()).contains(winner), "the tag names one of this round's");
        for (RegistryClient client : List.of(a, b)) {
          HttpResponse<byte[]> byDigest = client.get("/v2/" + repo + "/manifests/" + winner,
              "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS);
          assertStatus(200, byDigest);
          assertArrayEquals(pushed.get(winner), byDigest.body());
        }
      }
      pushing.set(false);
      assertTrue(reader.get(30, TimeUnit.SECONDS) > 0);
    } finally {
      pushing.set(false);
      pool.shutdownNow();
    }
    assertEquals(List.of(), serverErrors);
  }

  @Test
  void aTagMovedThroughOneIsServedByTheOtherAtOnce() {
    String repo = Workflow.newRepo("scaleout-tagmove");
    Blob config = Blob.of("{\"architecture\":\"amd64\",\"os\":\"linux\"}");
    Blob layer = Blob.random(1024);
    new Pusher(a).blob(repo, config);
    new Pusher(a).blob(repo, layer);
    String tagPath = "/v2/" + repo + "/manifests/moving";
    for (int i = 0; i < 5; i++) {
      Manifest next = ImageManifestBuilder.oci().config(config).layer(layer).annotation("version", "" + i).build();
      RegistryClient writer = i % 2 == 0 ? a : b;
      RegistryClient reader = writer == a ? b : a;
      new Pusher(writer).manifest(repo, "moving", next);
      // No wait: tags are read from storage on every request; the manifest cache is by digest, so never stale.
      HttpResponse<byte[]> head = reader.head(tagPath, "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS);
      assertStatus(200, head);
      assertHeader(next.digest(), "Docker-Content-Digest", head);
      HttpResponse<byte[]> got = reader.get(tagPath, "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS);
      assertStatus(200, got);
      assertArrayEquals(next.bytes(), got.body(), "tag after move " + i);
    }
    HttpResponse<byte[]> deleted = a.delete(tagPath);
    assertStatus(202, deleted);
    assertError(404, "MANIFEST_UNKNOWN", b.get(tagPath, "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS));
  }

  /**
   * Each instance keeps the catalog in memory, but a new repository is announced in storage, so a repository pushed
   * through one instance is in the other's catalog on its next request, even right after that one listed.
   */
  @Test
  void aNewRepositoryIsInTheOtherInstancesCatalogAtOnce() {
    for (int i = 0; i < 3; i++) {
      RegistryClient writer = i % 2 == 0 ? a : b;
      RegistryClient reader = writer == a ? b : a;
      List<String> before = catalog(reader);
      List<String> beforeOnWriter = catalog(writer);
      String repo = Workflow.newRepo("scaleout-catalog");
      assertFalse(before.contains(repo));
      assertFalse(beforeOnWriter.contains(repo));
      new Pusher(writer).image(repo, "v1");
      assertTrue(catalog(reader).contains(repo), () -> repo + " missing from the other instance's catalog");
      assertTrue(catalog(writer).contains(repo), () -> repo + " missing from its own instance's catalog");
    }
  }

  private static List<String> catalog(RegistryClient client) {
    HttpResponse<byte[]> response = client.get("/v2/_catalog");
    assertStatus(200, response);
    return texts(json(response).path("repositories"));
  }

  @Test
  void deletedThroughOneIsGoneThroughTheOther() {
    String repo = Workflow.newRepo("scaleout-delete");
    Pusher.Image image = new Pusher(a).image(repo, "v1");
    String blobPath = "/v2/" + repo + "/blobs/" + image.layer().digest();
    String manifestPath = "/v2/" + repo + "/manifests/" + image.manifest().digest();
    assertStatus(200, b.get(blobPath));
    assertStatus(200, b.get(manifestPath, "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS));

    assertStatus(202, a.delete(blobPath));
    assertError(404, "BLOB_UNKNOWN", b.get(blobPath));
    assertStatus(404, b.head(blobPath));

    assertStatus(202, b.delete(manifestPath));
    for (RegistryClient client : List.of(a, b)) {
      assertError(404, "MANIFEST_UNKNOWN", client.get(manifestPath, "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS));
      assertError(404, "MANIFEST_UNKNOWN", client.get("/v2/" + repo + "/manifests/v1",
          "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS));
    }
  }

  private static List<String> texts(com.fasterxml.jackson.databind.JsonNode array) {
    if (!array.isArray()) {
      fail("not an array: " + array);
    }
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
