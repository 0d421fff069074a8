package io.berth.conformance;

import static io.berth.conformance.Responses.assertError;
import static io.berth.conformance.Responses.assertStatus;
import static io.berth.conformance.Responses.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** Repository names: several path components work everywhere; names outside the grammar are NAME_INVALID. */
abstract class RepositoryNameWorkflow extends Workflow {

  @Test
  void multiComponentNameWorksForPushPullAndTags() {
    String repo = newRepo("team") + "/app/api";
    Pusher.Image image = push().image(repo, "v1");

    HttpResponse<byte[]> manifest =
        client().get("/v2/" + repo + "/manifests/v1", "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS);
    assertStatus(200, manifest);
    assertArrayEquals(image.manifest().bytes(), manifest.body());
    HttpResponse<byte[]> blob = client().get("/v2/" + repo + "/blobs/" + image.layer().digest());
    assertStatus(200, blob);
    assertArrayEquals(image.layer().bytes(), blob.body());
    HttpResponse<byte[]> tags = client().get("/v2/" + repo + "/tags/list");
    assertStatus(200, tags);
    assertEquals(repo, json(tags).path("name").asText());
  }

  @Test
  void uppercaseNameIsNameInvalid() {
    assumeTrue(target().followsSpec(Deviation.INVALID_NAME_IS_PAGE_NOT_FOUND), "invalid names: see DEVIATIONS.md");
    assertError(400, "NAME_INVALID", client().post("/v2/" + Workflow.namespace() + "/Upper/blobs/uploads/", new byte[0]));
  }

  @Test
  void uppercaseNameIsNameInvalidForManifestPush() {
    assumeTrue(target().followsSpec(Deviation.INVALID_NAME_IS_PAGE_NOT_FOUND), "invalid names: see DEVIATIONS.md");
    Manifest manifest = ImageManifestBuilder.oci().build();
    assertError(400, "NAME_INVALID", client().put("/v2/" + Workflow.namespace() + "/Upper/manifests/v1",
        manifest.bytes(), "Content-Type", manifest.mediaType()));
  }

  @Test
  void nameWithDoubleSeparatorIsNameInvalid() {
    assumeTrue(target().followsSpec(Deviation.INVALID_NAME_IS_PAGE_NOT_FOUND), "invalid names: see DEVIATIONS.md");
    assertError(400, "NAME_INVALID", client().post("/v2/" + Workflow.namespace() + "/a..b/blobs/uploads/", new byte[0]));
  }
}
