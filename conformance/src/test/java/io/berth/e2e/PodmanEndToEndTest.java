package io.berth.e2e;

import static io.berth.e2e.HttpAssertions.header;
import static io.berth.e2e.HttpAssertions.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** podman (containers/image, like buildah and skopeo) building, pushing and pulling OCI images, on each storage backend. */
@ParameterizedClass(name = "on {0}")
@EnumSource(StorageBackend.Kind.class)
class PodmanEndToEndTest {
  private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

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
  static PrivateImageStore store;
  static Path context;

  @BeforeParameterizedClassInvocation
  static void start(StorageBackend.Kind kind) throws Exception {
    Clients.require("podman");
    Clients.requireRoot();
    workDir = Files.createDirectories(temp.resolve(kind.dirName()));
    storage = StorageBackend.start(kind, workDir);
    berth = BerthProcess.start(Files.createDirectories(workDir.resolve("berth")), storage);
    LOGS.watch("berth", berth.logFile());
    store = PrivateImageStore.in(workDir.resolve("containers"));
    context = Files.createDirectories(workDir.resolve("context"));
    Files.writeString(context.resolve("Containerfile"), "FROM scratch\nCOPY podman.txt /\n");
    Files.writeString(context.resolve("podman.txt"), "pushed by podman\n");
  }

  @AfterEach
  void nothingLeftBehind() {
    storage.assertNoLeftovers();
  }

  @AfterParameterizedClassInvocation
  static void stop() throws Exception {
    try {
      Closeables.closeAll(berth, storage);
    } finally {
      berth = null;
      storage = null;
    }
  }

  @Test
  void pushedImagePullsBackWithTheSameDigest() throws IOException {
    roundTrip("team/podman:gzip");
  }

  /** zstd layers have their own media type; the registry must store and serve them like any blob. */
  @Test
  void zstdCompressedImagePullsBackWithTheSameDigest() throws IOException {
    JsonNode manifest = roundTrip("team/podman:zstd", "--compression-format", "zstd");
    assertEquals("application/vnd.oci.image.layer.v1.tar+zstd",
        manifest.path("layers").path(0).path("mediaType").asText());
  }

  /** Builds, pushes (with extra push flags), removes, pulls; returns the manifest Berth stored. */
  private static JsonNode roundTrip(String repoAndTag, String... pushFlags) throws IOException {
    String image = berth.hostPort() + "/" + repoAndTag;
    store.podman("build", "--format", "oci", "--tag", image, context.toString()).check();

    Path digestFile = workDir.resolve(repoAndTag.replace('/', '_').replace(':', '_') + ".digest");
    List<String> push = new ArrayList<>(List.of("push", "--tls-verify=false", "--digestfile", digestFile.toString()));
    push.addAll(List.of(pushFlags));
    push.add(image);
    store.podman(push.toArray(String[]::new)).check();
    String digest = Files.readString(digestFile).trim();

    store.podman("rmi", image).check();
    assertNotEquals(0, store.podman("image", "exists", image).run().exitCode(), "image still present after rmi");
    store.podman("pull", "--tls-verify=false", image).check();
    assertEquals(digest, store.podman("image", "inspect", "--format", "{{.Digest}}", image).check().stdout().trim());

    String repo = repoAndTag.substring(0, repoAndTag.indexOf(':'));
    String tag = repoAndTag.substring(repoAndTag.indexOf(':') + 1);
    HttpResponse<byte[]> stored = ok(berth.get("/v2/" + repo + "/manifests/" + tag, OCI_MANIFEST));
    assertEquals(digest, header(stored, "Docker-Content-Digest"));
    assertEquals(digest, Digests.sha256(stored.body()));
    storage.assertImage(repo, tag, stored.body());
    JsonNode manifest = OciLayout.parse(stored.body());
    for (JsonNode layer : manifest.path("layers")) {
      byte[] blob = ok(berth.get("/v2/" + repo + "/blobs/" + layer.path("digest").asText())).body();
      assertEquals(layer.path("digest").asText(), Digests.sha256(blob));
    }
    return manifest;
  }
}
