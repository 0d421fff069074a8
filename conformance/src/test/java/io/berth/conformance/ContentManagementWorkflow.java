package io.berth.conformance;

import static io.berth.conformance.Responses.assertError;
import static io.berth.conformance.Responses.assertStatus;
import static io.berth.conformance.Responses.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Content management: deleting tags, manifests and blobs. Runs only against a registry started with deletes on. */
abstract class ContentManagementWorkflow extends Workflow {

  @BeforeEach
  void deletesAreEnabled() {
    assumeTrue(target().deletesEnabled(), "the target registry was not started with deletes enabled");
  }

  private List<String> tags(String repo) {
    var response = client().get("/v2/" + repo + "/tags/list");
    assertStatus(200, response);
    List<String> tags = new ArrayList<>();
    json(response).path("tags").forEach(t -> tags.add(t.asText()));
    return tags;
  }

  @Test
  void deleteTagRemovesOnlyThatTag() {
    assumeTrue(target().followsSpec(Deviation.NO_TAG_DELETE), "tag delete: see DEVIATIONS.md");
    String repo = newRepo("delete");
    Manifest manifest = push().image(repo, "keep").manifest();
    push().manifest(repo, "drop", manifest);

    assertStatus(202, client().delete("/v2/" + repo + "/manifests/drop"));

    assertError(404, "MANIFEST_UNKNOWN", client().get("/v2/" + repo + "/manifests/drop",
        "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS));
    assertStatus(200, client().head("/v2/" + repo + "/manifests/keep", "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS));
    assertStatus(200, client().head("/v2/" + repo + "/manifests/" + manifest.digest(),
        "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS));
    assertEquals(List.of("keep"), tags(repo));
  }

  @Test
  void deleteManifestByDigest() {
    String repo = newRepo("delete");
    Manifest manifest = push().image(repo, "v1").manifest();

    assertStatus(202, client().delete("/v2/" + repo + "/manifests/" + manifest.digest()));

    assertError(404, "MANIFEST_UNKNOWN", client().get("/v2/" + repo + "/manifests/" + manifest.digest(),
        "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS));
    assertStatus(404, client().head("/v2/" + repo + "/manifests/" + manifest.digest()));
  }

  @Test
  void deleteUnknownManifestIsManifestUnknown() {
    String repo = newRepo("delete");
    push().image(repo, "v1");

    assertError(404, "MANIFEST_UNKNOWN",
        client().delete("/v2/" + repo + "/manifests/" + Digests.sha256("never pushed".getBytes())));
  }

  @Test
  void deleteBlob() {
    String repo = newRepo("delete");
    Blob layer = push().image(repo, "v1").layer();

    assertStatus(202, client().delete("/v2/" + repo + "/blobs/" + layer.digest()));

    assertStatus(404, client().head("/v2/" + repo + "/blobs/" + layer.digest()));
    assertError(404, "BLOB_UNKNOWN", client().get("/v2/" + repo + "/blobs/" + layer.digest()));
  }

  @Test
  void deleteUnknownBlobIsBlobUnknown() {
    String repo = newRepo("delete");
    push().image(repo, "v1");

    assertError(404, "BLOB_UNKNOWN", client().delete("/v2/" + repo + "/blobs/" + Digests.sha256("never".getBytes())));
  }

  @Test
  void blobDeletedInOneRepositoryStaysInAnother() {
    // Deleting unlinks the blob from one repository; the same content pushed elsewhere must survive.
    String first = newRepo("delete");
    String second = newRepo("delete");
    Blob shared = Blob.random(256);
    push().blob(first, shared);
    push().blob(second, shared);

    assertStatus(202, client().delete("/v2/" + first + "/blobs/" + shared.digest()));

    assertStatus(404, client().head("/v2/" + first + "/blobs/" + shared.digest()));
    assertStatus(200, client().head("/v2/" + second + "/blobs/" + shared.digest()));
  }
}
