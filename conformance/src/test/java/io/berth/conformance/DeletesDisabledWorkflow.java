package io.berth.conformance;

import static io.berth.conformance.Responses.assertErrorBody;
import static io.berth.conformance.Responses.assertStatus;
import static io.berth.conformance.Responses.assertStatusIn;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registry started with deletes off (the default) must refuse every DELETE with 400 or 405 and UNSUPPORTED, and
 * keep the content. Subclasses start the registry that way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DeletesDisabledWorkflow extends Workflow {
  private RegistryTarget target;

  abstract RegistryTarget startWithDeletesDisabled(Path workDir) throws Exception;

  @BeforeAll
  void start(@TempDir Path workDir) throws Exception {
    target = startWithDeletesDisabled(workDir);
  }

  @AfterAll
  void stop() throws Exception {
    if (target != null) {
      target.close();
    }
  }

  @Override
  RegistryTarget target() {
    return target;
  }

  private static void assertRefused(HttpResponse<byte[]> response) {
    assertStatusIn(response, 400, 405);
    assertErrorBody("UNSUPPORTED", response);
  }

  @Test
  void manifestDeleteIsRefusedAndManifestStays() {
    String repo = newRepo("nodelete");
    Manifest manifest = push().image(repo, "v1").manifest();

    assertRefused(client().delete("/v2/" + repo + "/manifests/" + manifest.digest()));

    assertStatus(200, client().head("/v2/" + repo + "/manifests/" + manifest.digest(),
        "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS));
  }

  @Test
  void blobDeleteIsRefusedAndBlobStays() {
    String repo = newRepo("nodelete");
    Blob layer = push().image(repo, "v1").layer();

    assertRefused(client().delete("/v2/" + repo + "/blobs/" + layer.digest()));

    assertStatus(200, client().head("/v2/" + repo + "/blobs/" + layer.digest()));
  }
}
