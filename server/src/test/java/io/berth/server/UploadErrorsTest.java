package io.berth.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpResponse;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad blob uploads get the spec's error, and nothing stored before them changes. */
class UploadErrorsTest extends ServerTestBase {
  static final String REPO = "team/app";
  Baseline baseline;

  @BeforeEach
  void storeBaseline() {
    baseline = storeBaseline(REPO);
  }

  @Test
  void wrongDigestOnCompletionIsRefusedAndStoresNothing() {
    byte[] sent = randomBytes(10_000, 1);
    byte[] claimed = randomBytes(10_000, 2);
    String location = startUpload(REPO);
    assertEquals(202, patch(location, sent).statusCode());

    HttpResponse<byte[]> r = putDigest(location, sha256(claimed), null);

    assertError(400, "DIGEST_INVALID", r);
    assertBlobAbsent(REPO, sha256(claimed));
    assertBlobAbsent(REPO, sha256(sent));
    assertBaselineIntact(baseline);
  }

  @Test
  void wrongDigestWithFinalChunkInThePutStoresNothing() {
    byte[] sent = randomBytes(4_000, 3);
    String location = startUpload(REPO);
    HttpResponse<byte[]> r = putDigest(location, sha256(randomBytes(4_000, 4)), sent);
    assertError(400, "DIGEST_INVALID", r);
    assertBlobAbsent(REPO, sha256(sent));
    assertBaselineIntact(baseline);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "sha256:abc",                                                                  // too short
      "sha256:AB5A8B3A3D9E0C5DB11A2BAEE1F6C8D64C6B1D3F0C4D7E0B2A3C9C8E7F6A5B4C", // upper-case hex
      "sha256:zz5a8b3a3d9e0c5db11a2baee1f6c8d64c6b1d3f0c4d7e0b2a3c9c8e7f6a5b4c", // not hex
      "sha256-ab5a8b3a3d9e0c5db11a2baee1f6c8d64c6b1d3f0c4d7e0b2a3c9c8e7f6a5b4c", // no colon
      "md5:d41d8cd98f00b204e9800998ecf8427e",                                        // unsupported algorithm
      "sha256:",
      ":",
      ""})
  void malformedDigestOnCompletionIsRefusedAndTheUploadGoesOn(String digest) {
    byte[] content = randomBytes(2_000, 5);
    String location = startUpload(REPO);
    assertEquals(202, patch(location, content).statusCode());

    HttpResponse<byte[]> r = request("PUT", location + "?digest=" + digest, null);

    assertError(400, "DIGEST_INVALID", r);
    assertEquals("0-1999", uploadRange(location), "a refused completion must leave the upload as it was");
    assertBlobAbsent(REPO, sha256(content));
    // The session is still good: completing it with the right digest works.
    HttpResponse<byte[]> ok = putDigest(location, sha256(content), null);
    assertEquals(201, ok.statusCode(), () -> text(ok));
    assertArrayEquals(content, get("/v2/" + REPO + "/blobs/" + sha256(content)).body());
    assertBaselineIntact(baseline);
  }

  @Test
  void completionWithoutDigestIsRefused() {
    String location = startUpload(REPO);
    assertEquals(202, patch(location, randomBytes(100, 6)).statusCode());
    assertError(400, "DIGEST_INVALID", request("PUT", location, null));
    assertEquals("0-99", uploadRange(location));
  }

  @Test
  void truncatedUploadIsRefused() {
    byte[] whole = randomBytes(20_000, 7);
    String location = startUpload(REPO);
    assertEquals(202, patch(location, slice(whole, 0, 12_000)).statusCode());

    HttpResponse<byte[]> r = putDigest(location, sha256(whole), null);

    assertError(400, "DIGEST_INVALID", r);
    assertBlobAbsent(REPO, sha256(whole));
    assertBlobAbsent(REPO, sha256(slice(whole, 0, 12_000)));
    assertBaselineIntact(baseline);
  }

  @Test
  void outOfOrderChunksGet416AndChangeNothing() {
    byte[] whole = randomBytes(30_000, 8);
    String location = startUpload(REPO);
    HttpResponse<byte[]> first = patch(location, slice(whole, 0, 10_000), "Content-Range", "0-9999");
    assertEquals(202, first.statusCode(), () -> text(first));
    assertEquals("0-9999", first.headers().firstValue("Range").orElse(null));

    // A gap, an overlap (the same chunk again), a chunk from the middle of what is stored.
    HttpResponse<byte[]> gap = patch(location, slice(whole, 20_000, 30_000), "Content-Range", "20000-29999");
    assertError(416, "RANGE_INVALID", gap);
    // It says where the upload stands, so the client can resume from there.
    assertEquals("0-9999", gap.headers().firstValue("Range").orElse(null));
    assertEquals(location, gap.headers().firstValue("Location").orElse(null));
    assertEquals(416, patch(location, slice(whole, 0, 10_000), "Content-Range", "0-9999").statusCode());
    assertEquals(416, patch(location, slice(whole, 5_000, 15_000), "Content-Range", "5000-14999").statusCode());
    assertEquals("0-9999", uploadRange(location), "a refused chunk must not be stored");

    assertEquals(202, patch(location, slice(whole, 10_000, 20_000), "Content-Range", "10000-19999").statusCode());
    assertEquals(202, patch(location, slice(whole, 20_000, 30_000), "Content-Range", "20000-29999").statusCode());
    HttpResponse<byte[]> done = putDigest(location, sha256(whole), null);
    assertEquals(201, done.statusCode(), () -> text(done));
    assertArrayEquals(whole, get("/v2/" + REPO + "/blobs/" + sha256(whole)).body());
    assertBaselineIntact(baseline);
  }

  @Test
  void unknownUploadIdIs404BlobUploadUnknown() {
    String[] ids = {UUID.randomUUID().toString(), "not-a-uuid", "..", "%2e%2e", "0", "_uploads"};
    byte[] body = randomBytes(100, 9);
    for (String id : ids) {
      String location = "/v2/" + REPO + "/blobs/uploads/" + id;
      assertError(404, "BLOB_UPLOAD_UNKNOWN", patch(location, body));
      assertError(404, "BLOB_UPLOAD_UNKNOWN", putDigest(location, sha256(body), body));
      assertError(404, "BLOB_UPLOAD_UNKNOWN", get(location));
      assertError(404, "BLOB_UPLOAD_UNKNOWN", request("DELETE", location, null));
    }
    assertBlobAbsent(REPO, sha256(body));
    assertBaselineIntact(baseline);
  }

  @Test
  void uploadIdFromAnotherRepositoryIsUnknownHere() {
    String other = "team/other";
    byte[] whole = randomBytes(8_000, 10);
    String location = startUpload(other);
    assertEquals(202, patch(location, slice(whole, 0, 4_000)).statusCode());
    String foreign = "/v2/" + REPO + "/blobs/uploads/" + uuidOf(location);

    assertError(404, "BLOB_UPLOAD_UNKNOWN", patch(foreign, slice(whole, 4_000, 8_000)));
    assertError(404, "BLOB_UPLOAD_UNKNOWN", putDigest(foreign, sha256(whole), slice(whole, 4_000, 8_000)));
    assertError(404, "BLOB_UPLOAD_UNKNOWN", get(foreign));
    assertError(404, "BLOB_UPLOAD_UNKNOWN", request("DELETE", foreign, null));

    // The session in its own repository is untouched and completes there, and only there.
    assertEquals("0-3999", uploadRange(location));
    assertEquals(202, patch(location, slice(whole, 4_000, 8_000)).statusCode());
    HttpResponse<byte[]> done = putDigest(location, sha256(whole), null);
    assertEquals(201, done.statusCode(), () -> text(done));
    assertArrayEquals(whole, get("/v2/" + other + "/blobs/" + sha256(whole)).body());
    assertEquals(404, head("/v2/" + REPO + "/blobs/" + sha256(whole)).statusCode(),
        "the blob must not be linked into the repository that did not upload it");
    assertBaselineIntact(baseline);
  }
}
