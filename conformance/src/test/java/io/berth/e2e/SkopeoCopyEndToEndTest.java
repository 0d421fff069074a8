package io.berth.e2e;

import static io.berth.e2e.HttpAssertions.header;
import static io.berth.e2e.HttpAssertions.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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

/**
 * skopeo copies a two-platform OCI image from a layout on disk into Berth and back out again. Nothing
 * may change on the way: the index and every manifest keep their exact bytes, hence their digests. Runs on each
 * storage backend.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(StorageBackend.Kind.class)
class SkopeoCopyEndToEndTest {
  private static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
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

  @BeforeParameterizedClassInvocation
  static void start(StorageBackend.Kind kind) throws Exception {
    Clients.require("skopeo");
    workDir = Files.createDirectories(temp.resolve(kind.dirName()));
    storage = StorageBackend.start(kind, workDir);
    berth = BerthProcess.start(Files.createDirectories(workDir.resolve("berth")), storage);
    LOGS.watch("berth", berth.logFile());
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

  /** What the test wrote into the source layout, to compare copies against. */
  record Image(String arch, String manifestDigest, byte[] manifest, List<String> blobDigests) {}

  @Test
  void multiPlatformImageRoundTripsWithIdenticalDigests() throws IOException {
    OciLayout source = OciLayout.create(workDir.resolve("source"));
    List<Image> images = new ArrayList<>();
    StringBuilder indexEntries = new StringBuilder();
    for (String arch : List.of("amd64", "arm64")) {
      Image image = writeImage(source, arch);
      images.add(image);
      indexEntries.append(indexEntries.isEmpty() ? "" : ",\n").append("""
              {
                "mediaType": "%s",
                "digest": "%s",
                "size": %d,
                "platform": { "architecture": "%s", "os": "linux" }
              }""".formatted(OCI_MANIFEST, image.manifestDigest(), image.manifest().length, arch));
    }
    // Hand-formatted JSON with an annotation: a registry that re-serialized manifests instead of storing
    // the exact bytes would change the digest, and the comparisons below would catch it.
    byte[] index = """
        {
          "schemaVersion": 2,
          "mediaType": "%s",
          "manifests": [
        %s
          ],
          "annotations": { "org.opencontainers.image.description": "berth e2e: two platforms" }
        }
        """.formatted(OCI_INDEX, indexEntries).getBytes(StandardCharsets.UTF_8);
    String indexDigest = source.writeBlob(index);
    source.writeIndexJson("1", index, OCI_INDEX);

    String remote = "docker://" + berth.hostPort() + "/team/copied:1";
    Command.of("skopeo", "copy", "--all", "--dest-tls-verify=false", "oci:" + source.dir() + ":1", remote).check();

    // Berth serves the index under the tag with the same bytes, to the API and to skopeo.
    HttpResponse<byte[]> stored = ok(berth.get("/v2/team/copied/manifests/1", OCI_INDEX));
    assertEquals(indexDigest, header(stored, "Docker-Content-Digest"));
    assertEquals(OCI_INDEX, header(stored, "Content-Type"));
    assertArrayEquals(index, stored.body(), "stored index bytes differ from the pushed ones");
    storage.assertImage("team/copied", "1", index);
    byte[] inspected = Command.of("skopeo", "inspect", "--raw", "--tls-verify=false", remote).check().stdoutBytes();
    assertEquals(indexDigest, Digests.sha256(inspected), "skopeo inspect --raw shows another index");

    Path copyDir = workDir.resolve("copy");
    Command.of("skopeo", "copy", "--all", "--src-tls-verify=false", remote, "oci:" + copyDir + ":1").check();
    OciLayout copy = new OciLayout(copyDir);
    JsonNode entry = copy.indexJson().path("manifests").path(0);
    assertEquals(indexDigest, entry.path("digest").asText(), "the index came back with another digest");
    assertArrayEquals(index, copy.blob(indexDigest));
    for (Image image : images) {
      assertArrayEquals(image.manifest(), copy.blob(image.manifestDigest()), image.arch() + " manifest changed");
      for (String blob : image.blobDigests()) {
        assertArrayEquals(source.blob(blob), copy.blob(blob), image.arch() + " blob " + blob + " changed");
      }
      // And Berth has each child manifest by digest, byte for byte.
      HttpResponse<byte[]> child = ok(berth.get("/v2/team/copied/manifests/" + image.manifestDigest(), OCI_MANIFEST));
      assertArrayEquals(image.manifest(), child.body());
    }
  }

  /** One platform's image: a layer with a file naming the platform, a config, a manifest. */
  private static Image writeImage(OciLayout layout, String arch) throws IOException {
    byte[] manifest = layout.writeImage(arch, "built for linux/" + arch + "\n");
    JsonNode parsed = OciLayout.parse(manifest);
    return new Image(arch, Digests.sha256(manifest), manifest, List.of(parsed.path("config").path("digest").asText(),
        parsed.path("layers").path(0).path("digest").asText()));
  }
}
