package io.berth.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad manifest pushes get the spec's error, and the tag they aimed at keeps what it had. */
class ManifestErrorsTest extends ServerTestBase {
  static final String REPO = "team/app";
  Baseline baseline;

  @BeforeEach
  void storeBaseline() {
    baseline = storeBaseline(REPO);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{",
      "",
      "not json",
      "[]",
      "null",
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"",
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{}} trailing",
      "{\"schemaVersion\":2,\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}",
      "{\"schemaVersion\":\"2\",\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{}}",
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"digest\":\"sha256:nope\",\"size\":1}}",
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":\"x\",\"layers\":[]}",
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"layers\":[]}"})
  void malformedManifestIsManifestInvalid(String body) {
    HttpResponse<byte[]> r = putManifest(REPO, "v1", OCI_MANIFEST, body.getBytes(UTF_8));
    assertError(400, "MANIFEST_INVALID", r);
    assertBaselineIntact(baseline);
    assertEquals(404, get("/v2/" + REPO + "/manifests/" + sha256(body.getBytes(UTF_8))).statusCode());
  }

  @Test
  void manifestReferencingMissingBlobsIsManifestBlobUnknown() {
    String missing = sha256("never pushed".getBytes(UTF_8));
    byte[] config = "{}".getBytes(UTF_8);
    String configDigest = pushBlob(REPO, config);
    // Missing layer; missing config; a blob that exists only in another repository.
    byte[] otherRepoBlob = randomBytes(700, 77);
    String foreign = pushBlob("team/other", otherRepoBlob);
    byte[][] manifests = {
        ociManifest(configDigest, config.length, missing, 12),
        ociManifest(missing, 2, baseline.blobDigest(), baseline.blob().length),
        ociManifest(configDigest, config.length, foreign, otherRepoBlob.length),
    };
    Map<String, String> before = snapshot();
    for (byte[] m : manifests) {
      for (String ref : new String[] {"v1", "v2", sha256(m)}) {
        HttpResponse<byte[]> r = putManifest(REPO, ref, OCI_MANIFEST, m);
        assertError(400, "MANIFEST_BLOB_UNKNOWN", r);
        assertEquals(404, get("/v2/" + REPO + "/manifests/" + sha256(m)).statusCode());
      }
    }
    assertEquals(before, snapshot(), "a refused manifest changed storage");
    assertBaselineIntact(baseline);
  }

  @Test
  void indexReferencingMissingManifestIsManifestBlobUnknown() {
    String missing = sha256("no such manifest".getBytes(UTF_8));
    byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
        + "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + missing + "\",\"size\":10}]}")
        .getBytes(UTF_8);
    HttpResponse<byte[]> r = putManifest(REPO, "v1", "application/vnd.oci.image.index.v1+json", index);
    assertError(400, "MANIFEST_BLOB_UNKNOWN", r);
    assertBaselineIntact(baseline);
  }

  /** A valid manifest padded with an annotation to exactly {@code size} bytes. */
  byte[] manifestOfSize(int size) {
    String head = new String(baseline.manifest(), UTF_8);
    String prefix = head.substring(0, head.length() - 1) + ",\"annotations\":{\"pad\":\"";
    String suffix = "\"}}";
    return (prefix + "x".repeat(size - prefix.length() - suffix.length()) + suffix).getBytes(UTF_8);
  }

  @Test
  void manifestOverFourMebibytesIs413() throws IOException {
    byte[] big = manifestOfSize(4 * 1024 * 1024 + 1);
    Map<String, String> before = snapshot();

    // As a client with Content-Length sends it.
    HttpResponse<byte[]> r;
    try {
      r = putManifest(REPO, "v1", OCI_MANIFEST, big);
    } catch (java.io.UncheckedIOException e) {
      throw new AssertionError("the client never saw an answer to an oversize manifest (connection reset?)", e);
    }
    assertEquals(413, r.statusCode(), () -> text(r));
    assertNoStackTrace(new String(r.body(), UTF_8));

    // Chunked, so the server can only find out while reading: 413 too, whatever it does with the rest.
    try (RawHttp c = new RawHttp(port())) {
      c.send("PUT /v2/" + REPO + "/manifests/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + OCI_MANIFEST
          + "\r\nTransfer-Encoding: chunked\r\n\r\n");
      Thread writer = Thread.ofVirtual().start(() -> {
        try {
          for (int off = 0; off < big.length; off += 65536) {
            c.sendChunk(Arrays.copyOfRange(big, off, Math.min(big.length, off + 65536)));
          }
          c.sendLastChunk();
        } catch (IOException closed) {
          // the server may stop reading once it has answered
        }
      });
      RawHttp.Response chunked = c.read();
      assertEquals(413, chunked.status(), chunked::toString);
      writer.interrupt();
    }
    assertEquals(before, snapshot());
    assertBaselineIntact(baseline);
  }

  @Test
  void manifestOfExactlyFourMebibytesIsAccepted() {
    byte[] max = manifestOfSize(4 * 1024 * 1024);
    HttpResponse<byte[]> r = putManifest(REPO, "big", OCI_MANIFEST, max);
    assertEquals(201, r.statusCode(), () -> text(r));
    assertEquals(sha256(max), r.headers().firstValue("Docker-Content-Digest").orElse(null));
  }

  @Test
  void manifestWithExpectContinueOverLimitIsRefusedBeforeTheBody() throws IOException {
    try (RawHttp c = new RawHttp(port())) {
      c.send("PUT /v2/" + REPO + "/manifests/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + OCI_MANIFEST
          + "\r\nContent-Length: " + (4 * 1024 * 1024 + 1) + "\r\nExpect: 100-continue\r\n\r\n");
      RawHttp.Response r = c.read();
      assertEquals(413, r.status(), r::toString);
    }
    assertBaselineIntact(baseline);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "application/vnd.example.unknown+json",
      "application/vnd.docker.distribution.manifest.v1+json",
      "application/vnd.docker.distribution.manifest.v1+prettyjws",
      "application/vnd.docker.container.image.v1+json",
      "application/octet-stream",
      "text/plain"})
  void unsupportedMediaTypeIsManifestInvalid(String mediaType) {
    String m = new String(baseline.manifest(), UTF_8).replace(OCI_MANIFEST, mediaType);
    assertTrue(m.contains(mediaType));
    HttpResponse<byte[]> r = putManifest(REPO, "v1", mediaType, m.getBytes(UTF_8));
    assertError(400, "MANIFEST_INVALID", r);
    // The same body declaring the unsupported type, sent with a supported Content-Type.
    HttpResponse<byte[]> r2 = putManifest(REPO, "v1", OCI_MANIFEST, m.getBytes(UTF_8));
    assertError(400, "MANIFEST_INVALID", r2);
    assertBaselineIntact(baseline);
  }

  @Test
  void schema1ManifestIsManifestInvalid() {
    byte[] schema1 = ("{\"schemaVersion\":1,\"name\":\"team/app\",\"tag\":\"v1\",\"architecture\":\"amd64\","
        + "\"fsLayers\":[{\"blobSum\":\"" + baseline.blobDigest() + "\"}],\"history\":[{\"v1Compatibility\":\"{}\"}]}")
        .getBytes(UTF_8);
    assertError(400, "MANIFEST_INVALID",
        putManifest(REPO, "v1", "application/vnd.docker.distribution.manifest.v1+prettyjws", schema1));
    assertBaselineIntact(baseline);
  }
}
