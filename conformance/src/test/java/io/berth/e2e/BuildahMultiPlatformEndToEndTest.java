package io.berth.e2e;

import static io.berth.e2e.HttpAssertions.header;
import static io.berth.e2e.HttpAssertions.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
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
 * buildah builds one image for two platforms into a manifest list and pushes the whole list; skopeo
 * pulls each platform back by architecture. The registry must store the list and both images, and
 * serve the right image for each platform. Runs on each storage backend.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(StorageBackend.Kind.class)
class BuildahMultiPlatformEndToEndTest {
  private static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  private static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  private static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  private static final List<String> ARCHITECTURES = List.of("amd64", "arm64");

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

  @BeforeParameterizedClassInvocation
  static void start(StorageBackend.Kind kind) throws Exception {
    Clients.require("buildah", "skopeo");
    Clients.requireRoot();
    workDir = Files.createDirectories(temp.resolve(kind.dirName()));
    storage = StorageBackend.start(kind, workDir);
    berth = BerthProcess.start(Files.createDirectories(workDir.resolve("berth")), storage);
    LOGS.watch("berth", berth.logFile());
    store = PrivateImageStore.in(workDir.resolve("containers"));
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
  void twoPlatformManifestListIsStoredAsAnIndexAndEachPlatformPullsBack() throws IOException {
    // FROM scratch needs no base image, and COPY needs no emulation to "build" for arm64. TARGETARCH
    // picks a different file per platform, so the two images have different layers, not only configs.
    Path context = Files.createDirectories(workDir.resolve("context"));
    Files.writeString(context.resolve("Containerfile"), "FROM scratch\nARG TARGETARCH\nCOPY ${TARGETARCH}.txt /arch.txt\n");
    for (String arch : ARCHITECTURES) {
      Files.writeString(context.resolve(arch + ".txt"), layerText(arch));
    }
    store.buildah("build", "--platform", "linux/amd64,linux/arm64", "--manifest", "multi",
        "-f", context.resolve("Containerfile").toString(), context.toString()).check();

    String reference = berth.hostPort() + "/team/multi:1";
    Path digestFile = workDir.resolve("pushed-digest");
    store.buildah("manifest", "push", "--all", "--tls-verify=false", "--digestfile", digestFile.toString(),
        "multi", "docker://" + reference).check();
    String indexDigest = Files.readString(digestFile).trim();

    // The registry holds the list, byte for byte as buildah pushed it, under the tag.
    HttpResponse<byte[]> indexResponse = ok(berth.get("/v2/team/multi/manifests/1", OCI_INDEX, DOCKER_LIST));
    String mediaType = header(indexResponse, "Content-Type");
    assertTrue(List.of(OCI_INDEX, DOCKER_LIST).contains(mediaType), "not an index: " + mediaType);
    assertEquals(indexDigest, header(indexResponse, "Docker-Content-Digest"));
    assertEquals(indexDigest, Digests.sha256(indexResponse.body()));
    JsonNode index = OciLayout.parse(indexResponse.body());
    assertEquals(mediaType, index.path("mediaType").asText());
    storage.assertImage("team/multi", "1", indexResponse.body());

    Map<String, String> manifestByPlatform = new TreeMap<>();
    for (JsonNode entry : index.path("manifests")) {
      JsonNode platform = entry.path("platform");
      manifestByPlatform.put(platform.path("os").asText() + "/" + platform.path("architecture").asText(),
          entry.path("digest").asText());
    }
    assertEquals(List.of("linux/amd64", "linux/arm64"), List.copyOf(manifestByPlatform.keySet()), index.toString());

    for (String arch : ARCHITECTURES) {
      String manifestDigest = manifestByPlatform.get("linux/" + arch);

      // Over the API: the child manifest by digest, its config and its layer.
      HttpResponse<byte[]> manifestResponse =
          ok(berth.get("/v2/team/multi/manifests/" + manifestDigest, OCI_MANIFEST, DOCKER_MANIFEST));
      assertEquals(manifestDigest, Digests.sha256(manifestResponse.body()));
      JsonNode manifest = OciLayout.parse(manifestResponse.body());
      JsonNode config = OciLayout.parse(ok(berth.get("/v2/team/multi/blobs/"
          + manifest.path("config").path("digest").asText())).body());
      assertEquals(arch, config.path("architecture").asText());
      assertEquals("linux", config.path("os").asText());
      String layerDigest = manifest.path("layers").path(0).path("digest").asText();
      byte[] layer = ok(berth.get("/v2/team/multi/blobs/" + layerDigest)).body();
      assertEquals(layerDigest, Digests.sha256(layer));
      assertLayerIsFor(arch, layer);

      // Through a client: skopeo resolves the index for the requested platform and fetches that image.
      Path pulled = workDir.resolve("pulled-" + arch);
      Command.of("skopeo", "copy", "--src-tls-verify=false", "--override-os", "linux", "--override-arch", arch,
          "docker://" + reference, "oci:" + pulled + ":pulled").check();
      OciLayout layout = new OciLayout(pulled);
      assertEquals(manifestDigest, layout.indexJson().path("manifests").path(0).path("digest").asText(),
          "skopeo picked another image for " + arch);
      JsonNode pulledManifest = layout.jsonBlob(manifestDigest);
      JsonNode pulledConfig = layout.jsonBlob(pulledManifest.path("config").path("digest").asText());
      assertEquals(arch, pulledConfig.path("architecture").asText());
      assertLayerIsFor(arch, layout.blob(pulledManifest.path("layers").path(0).path("digest").asText()));
    }

    JsonNode tags = OciLayout.parse(ok(berth.get("/v2/team/multi/tags/list")).body());
    assertEquals("[\"1\"]", tags.path("tags").toString());
  }

  private static String layerText(String arch) {
    return "this layer was built for " + arch + "\n";
  }

  /** The layer is a gzipped tar of one file; its text names the platform it was built for. */
  private static void assertLayerIsFor(String arch, byte[] gzippedTar) throws IOException {
    String tar;
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzippedTar))) {
      tar = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
    assertTrue(tar.contains("arch.txt"), "layer lacks arch.txt");
    assertTrue(tar.contains(layerText(arch)), "layer is not the " + arch + " one");
    for (String other : ARCHITECTURES) {
      if (!other.equals(arch)) {
        assertFalse(tar.contains(layerText(other)), "the " + arch + " image has the " + other + " layer");
      }
    }
  }
}
