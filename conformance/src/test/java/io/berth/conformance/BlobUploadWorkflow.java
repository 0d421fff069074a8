package io.berth.conformance;

import static io.berth.conformance.Responses.assertError;
import static io.berth.conformance.Responses.assertErrorBody;
import static io.berth.conformance.Responses.assertHeader;
import static io.berth.conformance.Responses.assertStatus;
import static io.berth.conformance.Responses.assertStatusIn;
import static io.berth.conformance.Responses.header;
import static io.berth.conformance.RegistryClient.withQuery;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.http.HttpResponse;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Push, blob half: every way to upload a blob, the upload session endpoints, mounting, and rejected uploads. */
abstract class BlobUploadWorkflow extends Workflow {
  private static final String OCTET_STREAM = "application/octet-stream";

  private String startUpload(String repo) {
    HttpResponse<byte[]> response = client().post("/v2/" + repo + "/blobs/uploads/", new byte[0]);
    assertStatus(202, response);
    return header(response, "Location");
  }

  private void assertBlobStored(String repo, Blob blob) {
    HttpResponse<byte[]> response = client().get("/v2/" + repo + "/blobs/" + blob.digest());
    assertStatus(200, response);
    assertArrayEquals(blob.bytes(), response.body(), "stored bytes of " + blob.digest());
  }

  @Test
  void postThenMonolithicPut() {
    String repo = newRepo("push");
    Blob blob = Blob.random(4096);

    String location = startUpload(repo);
    HttpResponse<byte[]> put =
        client().put(withQuery(location, "digest=" + blob.digest()), blob.bytes(), "Content-Type", OCTET_STREAM);

    assertStatus(201, put);
    assertHeader(blob.digest(), "Docker-Content-Digest", put);
    assertEquals(client().resolve("/v2/" + repo + "/blobs/" + blob.digest()), client().resolve(header(put, "Location")));
    assertBlobStored(repo, blob);
  }

  @Test
  void singlePostWithDigestCreatesBlobOrFallsBackToSession() {
    String repo = newRepo("push");
    Blob blob = Blob.random(2048);

    HttpResponse<byte[]> post = client().post("/v2/" + repo + "/blobs/uploads/?digest=" + blob.digest(),
        blob.bytes(), "Content-Type", OCTET_STREAM);

    // The spec lets a registry decline the single-request upload with a 202 and an ordinary session.
    assertStatusIn(post, 201, 202);
    if (post.statusCode() == 202) {
      HttpResponse<byte[]> put = client().put(withQuery(header(post, "Location"), "digest=" + blob.digest()),
          blob.bytes(), "Content-Type", OCTET_STREAM);
      assertStatus(201, put);
    } else {
      assertHeader(blob.digest(), "Docker-Content-Digest", post);
      header(post, "Location");
    }
    assertBlobStored(repo, blob);
  }

  @Test
  void chunkedUploadWithContentRange() {
    String repo = newRepo("push");
    Blob blob = Blob.random(3000);
    byte[] first = Arrays.copyOfRange(blob.bytes(), 0, 1000);
    byte[] second = Arrays.copyOfRange(blob.bytes(), 1000, 3000);

    String location = startUpload(repo);
    HttpResponse<byte[]> patch1 = client().patch(location, first,
        "Content-Type", OCTET_STREAM, "Content-Range", "0-999");
    assertStatus(202, patch1);
    assertHeader("0-999", "Range", patch1);
    HttpResponse<byte[]> patch2 = client().patch(header(patch1, "Location"), second,
        "Content-Type", OCTET_STREAM, "Content-Range", "1000-2999");
    assertStatus(202, patch2);
    assertHeader("0-2999", "Range", patch2);
    HttpResponse<byte[]> put = client().put(withQuery(header(patch2, "Location"), "digest=" + blob.digest()),
        new byte[0], "Content-Type", OCTET_STREAM);

    assertStatus(201, put);
    assertHeader(blob.digest(), "Docker-Content-Digest", put);
    assertBlobStored(repo, blob);
  }

  @Test
  void chunkedUploadWithFinalChunkInPut() {
    String repo = newRepo("push");
    Blob blob = Blob.random(2000);

    String location = startUpload(repo);
    HttpResponse<byte[]> patch = client().patch(location, Arrays.copyOfRange(blob.bytes(), 0, 1500),
        "Content-Type", OCTET_STREAM, "Content-Range", "0-1499");
    assertStatus(202, patch);
    HttpResponse<byte[]> put = client().put(withQuery(header(patch, "Location"), "digest=" + blob.digest()),
        Arrays.copyOfRange(blob.bytes(), 1500, 2000), "Content-Type", OCTET_STREAM);

    assertStatus(201, put);
    assertBlobStored(repo, blob);
  }

  @Test
  void streamedPatchWithoutContentRangeIsAccepted() {
    // docker and containerd send the whole layer as one chunked PATCH with neither Content-Range nor Content-Length.
    String repo = newRepo("push");
    Blob blob = Blob.random(100_000);

    String location = startUpload(repo);
    HttpResponse<byte[]> patch = client().patchStreamed(location, blob.bytes(), "Content-Type", OCTET_STREAM);
    assertStatus(202, patch);
    assertHeader("0-99999", "Range", patch);
    HttpResponse<byte[]> put = client().put(withQuery(header(patch, "Location"), "digest=" + blob.digest()),
        new byte[0], "Content-Type", OCTET_STREAM);

    assertStatus(201, put);
    assertBlobStored(repo, blob);
  }

  @Test
  void consecutiveStreamedPatchesAppend() {
    // A client may stream a layer in several unannounced PATCHes; each continues where the last ended.
    String repo = newRepo("push");
    Blob blob = Blob.random(30_000);

    HttpResponse<byte[]> first = client().patchStreamed(startUpload(repo),
        Arrays.copyOfRange(blob.bytes(), 0, 10_000), "Content-Type", OCTET_STREAM);
    assertStatus(202, first);
    HttpResponse<byte[]> second = client().patchStreamed(header(first, "Location"),
        Arrays.copyOfRange(blob.bytes(), 10_000, 30_000), "Content-Type", OCTET_STREAM);
    assertStatus(202, second);
    assertHeader("0-29999", "Range", second);
    HttpResponse<byte[]> put = client().put(withQuery(header(second, "Location"), "digest=" + blob.digest()),
        new byte[0], "Content-Type", OCTET_STREAM);

    assertStatus(201, put);
    assertBlobStored(repo, blob);
  }

  @Test
  void finishedUploadSessionIsGone() {
    String repo = newRepo("push");
    Blob blob = Blob.random(100);
    HttpResponse<byte[]> patch = client().patch(startUpload(repo), blob.bytes(),
        "Content-Type", OCTET_STREAM, "Content-Range", "0-99");
    assertStatus(202, patch);
    String session = header(patch, "Location");
    assertStatus(201, client().put(withQuery(session, "digest=" + blob.digest()), new byte[0],
        "Content-Type", OCTET_STREAM));

    assertError(404, "BLOB_UPLOAD_UNKNOWN", client().get(session));
  }

  @Test
  void uploadStatusReportsReceivedRange() {
    String repo = newRepo("push");
    String location = startUpload(repo);
    HttpResponse<byte[]> patch = client().patch(location, new byte[500],
        "Content-Type", OCTET_STREAM, "Content-Range", "0-499");
    assertStatus(202, patch);

    HttpResponse<byte[]> status = client().get(header(patch, "Location"));

    assertStatus(204, status);
    assertHeader("0-499", "Range", status);
    header(status, "Location");
  }

  @Test
  void outOfOrderChunkIsRangeNotSatisfiable() {
    assumeTrue(target().followsSpec(Deviation.CHUNK_ORDER_NOT_CHECKED), "chunk order: see DEVIATIONS.md");
    String repo = newRepo("push");
    String location = startUpload(repo);
    HttpResponse<byte[]> patch = client().patch(location, new byte[100],
        "Content-Type", OCTET_STREAM, "Content-Range", "0-99");
    assertStatus(202, patch);
    String next = header(patch, "Location");

    HttpResponse<byte[]> gap = client().patch(next, new byte[100],
        "Content-Type", OCTET_STREAM, "Content-Range", "200-299");

    assertStatus(416, gap);
    // The rejected chunk must not have been stored: the session still ends at byte 99.
    HttpResponse<byte[]> status = client().get(next);
    assertStatus(204, status);
    assertHeader("0-99", "Range", status);
  }

  @Test
  void putWithWrongDigestIsDigestInvalidAndStoresNothing() {
    String repo = newRepo("push");
    Blob sent = Blob.random(1000);
    Blob claimed = Blob.random(1000);

    String location = startUpload(repo);
    HttpResponse<byte[]> put = client().put(withQuery(location, "digest=" + claimed.digest()), sent.bytes(),
        "Content-Type", OCTET_STREAM);

    assertError(400, "DIGEST_INVALID", put);
    assertStatus(404, client().head("/v2/" + repo + "/blobs/" + claimed.digest()));
    assertStatus(404, client().head("/v2/" + repo + "/blobs/" + sent.digest()));
  }

  @Test
  void cancelledUploadIsGone() {
    String repo = newRepo("push");
    String location = startUpload(repo);

    assertStatus(204, client().delete(location));

    assertError(404, "BLOB_UPLOAD_UNKNOWN", client().get(location));
  }

  @Test
  void unknownUploadSessionIsBlobUploadUnknown() {
    String repo = newRepo("push");
    startUpload(repo);

    HttpResponse<byte[]> status = client().get("/v2/" + repo + "/blobs/uploads/6ba7b810-9dad-11d1-80b4-00c04fd430c8");

    assertStatus(404, status);
    if (target().followsSpec(Deviation.UNKNOWN_UPLOAD_IS_UPLOAD_INVALID)) {
      assertErrorBody("BLOB_UPLOAD_UNKNOWN", status);
    }
  }

  @Test
  void emptyBlobUpload() {
    String repo = newRepo("push");
    Blob empty = Blob.of(new byte[0]);

    String location = startUpload(repo);
    HttpResponse<byte[]> put = client().put(withQuery(location, "digest=" + empty.digest()), new byte[0],
        "Content-Type", OCTET_STREAM);

    assertStatus(201, put);
    HttpResponse<byte[]> head = client().head("/v2/" + repo + "/blobs/" + empty.digest());
    assertStatus(200, head);
    assertHeader("0", "Content-Length", head);
    assertHeader(empty.digest(), "Docker-Content-Digest", head);
    assertBlobStored(repo, empty);
  }

  @Test
  void sha512Upload() {
    assumeTrue(target().followsSpec(Deviation.NO_SHA512_UPLOADS), "sha512 uploads: see DEVIATIONS.md");
    String repo = newRepo("push");
    byte[] bytes = Blob.random(1500).bytes();
    String digest = Digests.sha512(bytes);

    HttpResponse<byte[]> post = client().post("/v2/" + repo + "/blobs/uploads/?digest-algorithm=sha512", new byte[0]);
    assertStatus(202, post);
    HttpResponse<byte[]> put = client().put(withQuery(header(post, "Location"), "digest=" + digest), bytes,
        "Content-Type", OCTET_STREAM);

    assertStatus(201, put);
    assertHeader(digest, "Docker-Content-Digest", put);
    HttpResponse<byte[]> get = client().get("/v2/" + repo + "/blobs/" + digest);
    assertStatus(200, get);
    assertArrayEquals(bytes, get.body());
    assertHeader(digest, "Docker-Content-Digest", get);
  }

  @Test
  void crossRepositoryMount() {
    String source = newRepo("push");
    String destination = newRepo("push");
    Blob blob = Blob.random(777);
    push().blob(source, blob);

    HttpResponse<byte[]> mount = client().post(
        "/v2/" + destination + "/blobs/uploads/?mount=" + blob.digest() + "&from=" + source, new byte[0]);

    assertStatus(201, mount);
    assertEquals(client().resolve("/v2/" + destination + "/blobs/" + blob.digest()),
        client().resolve(header(mount, "Location")));
    assertBlobStored(destination, blob);
  }

  @Test
  void mountOfBlobMissingFromSourceFallsBackToUploadSession() {
    String source = newRepo("push");
    String destination = newRepo("push");
    push().blob(source, Blob.random(10));
    Blob blob = Blob.random(333);

    HttpResponse<byte[]> mount = client().post(
        "/v2/" + destination + "/blobs/uploads/?mount=" + blob.digest() + "&from=" + source, new byte[0]);

    assertStatus(202, mount);
    HttpResponse<byte[]> put = client().put(withQuery(header(mount, "Location"), "digest=" + blob.digest()),
        blob.bytes(), "Content-Type", OCTET_STREAM);
    assertStatus(201, put);
    assertBlobStored(destination, blob);
    assertFalse(client().head("/v2/" + source + "/blobs/" + blob.digest()).statusCode() == 200,
        "the upload went to the destination, not the source");
  }
}
