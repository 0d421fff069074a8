package io.berth.conformance;

import static io.berth.conformance.Responses.assertError;
import static io.berth.conformance.Responses.assertHeader;
import static io.berth.conformance.Responses.assertNoBody;
import static io.berth.conformance.Responses.assertStatus;
import static io.berth.conformance.Responses.header;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.http.HttpResponse;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Pull: the API version check, manifests by tag and digest, blobs whole and in ranges, and the 404s. */
abstract class PullWorkflow extends Workflow {

  @Test
  void versionCheckAnswers200WithApiVersionHeader() {
    HttpResponse<byte[]> response = client().get("/v2/");
    assertStatus(200, response);
    assertHeader("registry/2.0", "Docker-Distribution-API-Version", response);
  }

  @Test
  void getManifestByTagReturnsExactBytesTypeAndDigest() {
    String repo = newRepo("pull");
    Manifest manifest = push().image(repo, "v1").manifest();

    HttpResponse<byte[]> response =
        client().get("/v2/" + repo + "/manifests/v1", "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS);

    assertStatus(200, response);
    assertArrayEquals(manifest.bytes(), response.body());
    assertHeader(MediaTypes.OCI_MANIFEST, "Content-Type", response);
    assertHeader(manifest.digest(), "Docker-Content-Digest", response);
  }

  @Test
  void headManifestByTagReturnsDigestAndLengthWithoutBody() {
    String repo = newRepo("pull");
    Manifest manifest = push().image(repo, "v1").manifest();

    HttpResponse<byte[]> response =
        client().head("/v2/" + repo + "/manifests/v1", "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS);

    assertStatus(200, response);
    assertHeader(manifest.digest(), "Docker-Content-Digest", response);
    assertHeader(MediaTypes.OCI_MANIFEST, "Content-Type", response);
    assertHeader(String.valueOf(manifest.size()), "Content-Length", response);
    assertNoBody(response);
  }

  @Test
  void getManifestByDigestReturnsExactBytesTypeAndDigest() {
    String repo = newRepo("pull");
    Manifest manifest = push().image(repo, "v1").manifest();

    HttpResponse<byte[]> response =
        client().get("/v2/" + repo + "/manifests/" + manifest.digest(), "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS);

    assertStatus(200, response);
    assertArrayEquals(manifest.bytes(), response.body());
    assertHeader(MediaTypes.OCI_MANIFEST, "Content-Type", response);
    assertHeader(manifest.digest(), "Docker-Content-Digest", response);
  }

  @Test
  void headManifestByDigestReturnsDigestAndLength() {
    String repo = newRepo("pull");
    Manifest manifest = push().image(repo, "v1").manifest();

    HttpResponse<byte[]> response =
        client().head("/v2/" + repo + "/manifests/" + manifest.digest(), "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS);

    assertStatus(200, response);
    assertHeader(manifest.digest(), "Docker-Content-Digest", response);
    assertHeader(String.valueOf(manifest.size()), "Content-Length", response);
    assertNoBody(response);
  }

  @Test
  void getBlobReturnsBytesLengthAndDigest() {
    String repo = newRepo("pull");
    Blob layer = push().image(repo, "v1").layer();

    HttpResponse<byte[]> response = client().get("/v2/" + repo + "/blobs/" + layer.digest());

    assertStatus(200, response);
    assertArrayEquals(layer.bytes(), response.body());
    assertHeader(layer.digest(), "Docker-Content-Digest", response);
    assertHeader(String.valueOf(layer.size()), "Content-Length", response);
  }

  @Test
  void headBlobReturnsLengthAndDigestWithoutBody() {
    String repo = newRepo("pull");
    Blob layer = push().image(repo, "v1").layer();

    HttpResponse<byte[]> response = client().head("/v2/" + repo + "/blobs/" + layer.digest());

    assertStatus(200, response);
    assertHeader(layer.digest(), "Docker-Content-Digest", response);
    assertHeader(String.valueOf(layer.size()), "Content-Length", response);
    assertNoBody(response);
  }

  @Test
  void rangeGetOfBlobReturnsPartialContent() {
    String repo = newRepo("pull");
    Blob layer = push().image(repo, "v1").layer();

    HttpResponse<byte[]> response = client().get("/v2/" + repo + "/blobs/" + layer.digest(), "Range", "bytes=10-19");

    assertStatus(206, response);
    assertHeader("bytes 10-19/" + layer.size(), "Content-Range", response);
    assertHeader("10", "Content-Length", response);
    assertArrayEquals(Arrays.copyOfRange(layer.bytes(), 10, 20), response.body());
  }

  @Test
  void openEndedRangeGetReturnsTheRestOfTheBlob() {
    String repo = newRepo("pull");
    Blob layer = push().image(repo, "v1").layer();
    int from = layer.size() - 100;

    HttpResponse<byte[]> response =
        client().get("/v2/" + repo + "/blobs/" + layer.digest(), "Range", "bytes=" + from + "-");

    assertStatus(206, response);
    assertHeader("bytes " + from + "-" + (layer.size() - 1) + "/" + layer.size(), "Content-Range", response);
    assertArrayEquals(Arrays.copyOfRange(layer.bytes(), from, layer.size()), response.body());
  }

  @Test
  void suffixRangeGetReturnsTheLastBytes() {
    String repo = newRepo("pull");
    Blob layer = push().image(repo, "v1").layer();

    HttpResponse<byte[]> response = client().get("/v2/" + repo + "/blobs/" + layer.digest(), "Range", "bytes=-16");

    assertStatus(206, response);
    assertHeader("bytes " + (layer.size() - 16) + "-" + (layer.size() - 1) + "/" + layer.size(), "Content-Range",
        response);
    assertArrayEquals(Arrays.copyOfRange(layer.bytes(), layer.size() - 16, layer.size()), response.body());
  }

  @Test
  void unsatisfiableRangeGetsRangeNotSatisfiable() {
    assumeTrue(target().followsSpec(Deviation.BROKEN_416_RESPONSE), "416 response: see DEVIATIONS.md");
    String repo = newRepo("pull");
    Blob layer = push().image(repo, "v1").layer();

    HttpResponse<byte[]> response = client().get("/v2/" + repo + "/blobs/" + layer.digest(),
        "Range", "bytes=" + (layer.size() + 10) + "-" + (layer.size() + 20));

    assertStatus(416, response);
    // RFC 9110 14.4: a 416 names the current length so the client can retry with a range that fits.
    assertHeader("bytes */" + layer.size(), "Content-Range", response);
  }

  @Test
  void unknownTagIsManifestUnknown() {
    String repo = newRepo("pull");
    push().image(repo, "v1");

    assertError(404, "MANIFEST_UNKNOWN", client().get("/v2/" + repo + "/manifests/no-such-tag",
        "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS));
  }

  @Test
  void unknownManifestDigestIsManifestUnknown() {
    String repo = newRepo("pull");
    push().image(repo, "v1");
    String absent = Digests.sha256("absent manifest".getBytes());

    assertError(404, "MANIFEST_UNKNOWN", client().get("/v2/" + repo + "/manifests/" + absent,
        "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS));
    HttpResponse<byte[]> head = client().head("/v2/" + repo + "/manifests/" + absent);
    assertStatus(404, head);
    assertNoBody(head);
  }

  @Test
  void unknownBlobIsBlobUnknown() {
    String repo = newRepo("pull");
    push().image(repo, "v1");
    String absent = Digests.sha256("absent blob".getBytes());

    assertError(404, "BLOB_UNKNOWN", client().get("/v2/" + repo + "/blobs/" + absent));
    HttpResponse<byte[]> head = client().head("/v2/" + repo + "/blobs/" + absent);
    assertStatus(404, head);
    assertNoBody(head);
  }

  @Test
  void malformedBlobDigestIsDigestInvalid() {
    String repo = newRepo("pull");
    push().image(repo, "v1");

    assertError(400, "DIGEST_INVALID", client().get("/v2/" + repo + "/blobs/sha256:not-a-hex-digest"));
  }

  @Test
  void blobOfAnotherRepositoryIsNotServed() {
    // Repositories are the unit of access control: a blob pushed to one must not be readable through another
    // just because it sits in the same content-addressed store.
    String owner = newRepo("pull");
    String stranger = newRepo("pull");
    Blob layer = push().image(owner, "v1").layer();
    push().image(stranger, "v1");

    assertError(404, "BLOB_UNKNOWN", client().get("/v2/" + stranger + "/blobs/" + layer.digest()));
    assertEquals(200, client().head("/v2/" + owner + "/blobs/" + layer.digest()).statusCode());
  }
}
