package io.berth.e2e;

import static io.berth.e2e.HttpAssertions.header;
import static io.berth.e2e.HttpAssertions.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * The docker engine (Debian's docker.io 20.10, classic builder) pushing to and pulling from Berth. Docker
 * streams blobs as one PATCH without Content-Range, checks for existing layers with HEAD, and mounts
 * layers across repositories; these tests cover each of those paths. They run on each storage backend (a
 * directory, and S3 through S3Proxy), checking behind Berth what it stored there.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(StorageBackend.Kind.class)
class DockerEndToEndTest {
  private static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  /** What `docker push` prints last: "<tag>: digest: sha256:... size: N". */
  private static final Pattern PUSHED_DIGEST = Pattern.compile("digest: (sha256:[0-9a-f]{64}) size: (\\d+)");
  private static final ObjectMapper JSON = new ObjectMapper();

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
  static DockerDaemon docker;

  /** Berth on this run's storage, and a docker daemon of this run's, so no image of another run is there. */
  @BeforeParameterizedClassInvocation
  static void start(StorageBackend.Kind kind) throws Exception {
    Clients.require("dockerd", "docker");
    Clients.requireRoot();
    workDir = Files.createDirectories(temp.resolve(kind.dirName()));
    storage = StorageBackend.start(kind, workDir);
    berth = BerthProcess.start(Files.createDirectories(workDir.resolve("berth")), storage);
    LOGS.watch("berth", berth.logFile());
    docker = DockerDaemon.start();
    LOGS.watch("dockerd", docker.logFile());
  }

  @AfterEach
  void nothingLeftBehind() {
    storage.assertNoLeftovers();
  }

  @AfterParameterizedClassInvocation
  static void stop() throws Exception {
    try {
      Closeables.closeAll(docker, berth, storage);
    } finally {
      docker = null;
      berth = null;
      storage = null;
    }
  }

  @Test
  void pushedImagePullsBackWithTheSameDigestAndMatchesWhatTheRegistryStores() throws IOException {
    String image = berth.hostPort() + "/team/app:1";
    Path context = buildContext("round-trip", "FROM scratch\nCOPY hello.txt random.bin /\n",
        "hello.txt", "hello from the docker round trip\n");
    // Incompressible megabytes, so the layer upload is a real stream over many TCP reads, not one tiny body.
    byte[] random = new byte[12 * 1024 * 1024];
    new Random(42).nextBytes(random);
    Files.write(context.resolve("random.bin"), random);
    build(context, image);
    String imageId = docker.docker("image", "inspect", "--format", "{{.Id}}", image).check().stdout().trim();

    String pushOutput = docker.docker("push", image).check().output();
    Matcher pushed = PUSHED_DIGEST.matcher(pushOutput);
    assertTrue(pushed.find(), "no digest in push output:\n" + pushOutput);
    String digest = pushed.group(1);
    int manifestSize = Integer.parseInt(pushed.group(2));

    // Remove every local trace, so the pull below must fetch manifest, config and layer from Berth.
    docker.docker("rmi", image).check();
    assertNotEquals(0, docker.docker("image", "inspect", image).run().exitCode(), "image still present after rmi");

    String pullOutput = docker.docker("pull", image).check().output();
    assertTrue(pullOutput.contains("Digest: " + digest), "pull reported another digest:\n" + pullOutput);
    assertEquals(berth.hostPort() + "/team/app@" + digest,
        docker.docker("image", "inspect", "--format", "{{index .RepoDigests 0}}", image).check().stdout().trim());
    assertEquals(imageId, docker.docker("image", "inspect", "--format", "{{.Id}}", image).check().stdout().trim(),
        "the pulled image has a different config, so a different image ID");

    // What docker reported must be what the registry serves.
    JsonNode tags = JSON.readTree(ok(berth.get("/v2/team/app/tags/list")).body());
    assertEquals("team/app", tags.path("name").asText());
    assertTrue(tagNames(tags).contains("1"), "tag 1 missing: " + tags);

    HttpResponse<byte[]> manifestResponse = ok(berth.get("/v2/team/app/manifests/1", DOCKER_MANIFEST));
    byte[] manifestBytes = manifestResponse.body();
    assertEquals(digest, header(manifestResponse, "Docker-Content-Digest"));
    assertEquals(DOCKER_MANIFEST, header(manifestResponse, "Content-Type"));
    assertEquals(digest, Digests.sha256(manifestBytes), "stored manifest bytes differ from what docker pushed");
    assertEquals(manifestSize, manifestBytes.length);
    storage.assertImage("team/app", "1", manifestBytes);

    JsonNode manifest = JSON.readTree(manifestBytes);
    assertEquals(DOCKER_MANIFEST, manifest.path("mediaType").asText());
    // Docker's image ID is the digest of the config blob.
    assertEquals(imageId, manifest.path("config").path("digest").asText());
    HttpResponse<byte[]> config = ok(berth.get("/v2/team/app/blobs/" + imageId));
    assertEquals(imageId, Digests.sha256(config.body()));
    assertEquals("amd64", JSON.readTree(config.body()).path("architecture").asText());
    assertEquals(1, manifest.path("layers").size(), "one COPY instruction makes one layer: " + manifest);
    for (JsonNode layer : manifest.path("layers")) {
      HttpResponse<byte[]> blob = ok(berth.get("/v2/team/app/blobs/" + layer.path("digest").asText()));
      assertEquals(layer.path("digest").asText(), Digests.sha256(blob.body()));
      assertEquals(layer.path("size").asLong(), blob.body().length);
    }
  }

  @Test
  void layersAlreadyInTheRegistryAreNotUploadedAgain() throws IOException {
    String base = berth.hostPort() + "/team/app:base";
    String derived = berth.hostPort() + "/team/app:2";
    String elsewhere = berth.hostPort() + "/team/copy:2";

    Path baseContext = buildContext("base", "FROM scratch\nCOPY base.txt /\n",
        "base.txt", "the base layer, shared by every image below\n");
    build(baseContext, base);
    String basePush = docker.docker("push", base).check().output();
    assertEquals(1, count(basePush, ": Pushed"), "the fresh base layer must be uploaded once:\n" + basePush);

    // Same repository: the base layer is found by HEAD and skipped; only the new layer is uploaded.
    Path derivedContext = buildContext("derived", "FROM " + base + "\nCOPY extra.txt /\n",
        "extra.txt", "one more layer on top\n");
    build(derivedContext, derived);
    String derivedPush = docker.docker("push", derived).check().output();
    assertEquals(1, count(derivedPush, ": Layer already exists"), "base layer uploaded again:\n" + derivedPush);
    assertEquals(1, count(derivedPush, ": Pushed"), "exactly the new layer must be uploaded:\n" + derivedPush);
    String derivedDigest = pushedDigest(derivedPush);

    // Another repository: docker mounts both layers from team/app (POST ?mount=&from=) instead of uploading.
    docker.docker("tag", derived, elsewhere).check();
    String copyPush = docker.docker("push", elsewhere).check().output();
    assertEquals(2, count(copyPush, ": Mounted from team/app"), "layers not mounted:\n" + copyPush);
    assertEquals(0, count(copyPush, ": Pushed"), "layers uploaded again:\n" + copyPush);
    assertEquals(derivedDigest, pushedDigest(copyPush), "same image, so the same manifest digest");

    // The registry agrees: the second repository has the manifest and both blobs of its own.
    HttpResponse<byte[]> copied = ok(berth.get("/v2/team/copy/manifests/2", DOCKER_MANIFEST));
    assertEquals(derivedDigest, header(copied, "Docker-Content-Digest"));
    JsonNode layers = JSON.readTree(copied.body()).path("layers");
    assertEquals(2, layers.size(), "base layer + the extra layer: " + layers);
    for (JsonNode layer : layers) {
      HttpResponse<byte[]> head = berth.head("/v2/team/copy/blobs/" + layer.path("digest").asText());
      assertEquals(200, head.statusCode(), "mounted blob missing in team/copy: " + layer);
      assertEquals(layer.path("size").asText(), header(head, "Content-Length"));
    }
    assertTrue(tagNames(JSON.readTree(ok(berth.get("/v2/team/app/tags/list")).body())).containsAll(List.of("base", "2")));
    storage.assertImage("team/copy", "2", copied.body());
    storage.assertImage("team/app", "2", copied.body());
  }

  /** A build context directory with a Dockerfile and the given files (name, content, name, content...). */
  private static Path buildContext(String name, String dockerfile, String... files) throws IOException {
    Path dir = Files.createDirectories(workDir.resolve("contexts").resolve(name));
    Files.writeString(dir.resolve("Dockerfile"), dockerfile);
    for (int i = 0; i < files.length; i += 2) {
      Files.writeString(dir.resolve(files[i]), files[i + 1]);
    }
    return dir;
  }

  private static void build(Path context, String tag) {
    // The classic builder: BuildKit is not part of Debian's docker.io 20.10 setup we test against.
    docker.docker("build", "--tag", tag, context.toString()).env("DOCKER_BUILDKIT", "0").check();
  }

  private static String pushedDigest(String pushOutput) {
    Matcher matcher = PUSHED_DIGEST.matcher(pushOutput);
    assertTrue(matcher.find(), "no digest in push output:\n" + pushOutput);
    return matcher.group(1);
  }

  private static int count(String text, String needle) {
    return text.split(Pattern.quote(needle), -1).length - 1;
  }

  private static List<String> tagNames(JsonNode tagList) {
    List<String> names = new ArrayList<>();
    tagList.path("tags").forEach(tag -> names.add(tag.asText()));
    return names;
  }
}
