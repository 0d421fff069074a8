package io.berth.e2e;

import static io.berth.e2e.HttpAssertions.header;
import static io.berth.e2e.HttpAssertions.ok;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.e2e.BuildxLayouts.Built;
import io.berth.server.auth.Htpasswd;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 * Real clients against Berth in {@code auth.mode: token} with its built-in token service. They fetch tokens from
 * {@code /auth/token} in each of the ways the endpoint serves: docker's GET with Basic credentials and
 * {@code offline_token=true} at login, then POST {@code grant_type=refresh_token} with the identity token it kept
 * (as skopeo does when it reads docker's config.json); containers/image's GET with Basic credentials (buildah,
 * podman, skopeo); anonymous GETs; containerd's OAuth2 POST with {@code grant_type=password}, or
 * {@code refresh_token} as buildx hands it docker's identity token. Each gets exactly what the access rules grant:
 * <ul>
 *   <li>alice may pull, push and delete {@code team/*}, and push {@code public/*};</li>
 *   <li>bob and dave may only pull {@code team/*} (dave's password changes on the way);</li>
 *   <li>carol may pull and push {@code carol/*} and nothing on {@code team/*};</li>
 *   <li>anyone, signed in or not, may pull {@code public/*}.</li>
 * </ul>
 * Every check of what Berth stores goes over HTTP with a token the test fetches itself, and Berth's access log
 * (debug level) shows which token requests each client sent.
 *
 * <p>Each client keeps its credentials in files under the test's directory ({@code DOCKER_CONFIG},
 * {@code REGISTRY_AUTH_FILE}, {@code CONTAINERS_REGISTRIES_CONF}), never in the machine's own.
 *
 * <p>All of it runs on each storage backend (a directory, and S3 through S3Proxy), each run with its own Berth,
 * users file and daemons.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(StorageBackend.Kind.class)
class TokenAuthEndToEndTest {
  private static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  private static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  private static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  private static final Pattern PUSHED_DIGEST = Pattern.compile("digest: (sha256:[0-9a-f]{64}) size: (\\d+)");
  /** One line of Berth's access log: {@code ... io.berth.access - /127.0.0.1:4242 "POST /auth/token" 200 1056}. */
  private static final Pattern ACCESS_LINE =
      Pattern.compile("io\\.berth\\.access - \\S+ \"([A-Z]+) ([^\"]*)\" (\\d{3})");
  private static final Map<String, String> PASSWORDS =
      Map.of("alice", "alice-secret", "bob", "bob-secret", "carol", "carol-secret", "dave", "dave-secret");

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
  static Path htpasswd;
  /** Started by the first test of a run that needs them. */
  static DockerDaemon docker;
  static ContainerdDaemon containerd;
  static BuildxLayouts layouts;

  @BeforeParameterizedClassInvocation
  static void start(StorageBackend.Kind kind) throws Exception {
    workDir = Files.createDirectories(temp.resolve(kind.dirName()));
    storage = StorageBackend.start(kind, workDir);
    Path berthDir = Files.createDirectories(workDir.resolve("berth"));
    htpasswd = berthDir.resolve("htpasswd");
    for (Map.Entry<String, String> user : new TreeMap<>(PASSWORDS).entrySet()) {
      Htpasswd.setPassword(htpasswd, user.getKey(), user.getValue().toCharArray());
      Files.writeString(workDir.resolve("password-" + user.getKey()), user.getValue());
    }
    // No realm configured: challenges name our own /auth/token at the address the client used.
    Files.writeString(berthDir.resolve("config.yml"), """
        auth:
          mode: token
          htpasswd: {path: %s}
          access:
            - {repositories: "team/*", users: [alice], actions: [pull, push, delete]}
            - {repositories: "team/*", users: [bob, dave], actions: [pull]}
            - {repositories: "public/*", anonymous: true, actions: [pull]}
            - {repositories: "public/*", users: [alice], actions: [push]}
            - {repositories: "carol/*", users: [carol], actions: [pull, push]}
            - {catalog: true, users: [alice]}
        """.formatted(htpasswd));
    berth = BerthProcess.start(berthDir, storage, List.of(BerthProcess.ACCESS_LOG));
    LOGS.watch("berth", berth.logFile());
    layouts = new BuildxLayouts(workDir.resolve("layouts"));
  }

  @AfterEach
  void nothingLeftBehind() {
    storage.assertNoLeftovers();
  }

  @AfterParameterizedClassInvocation
  static void stop() throws Exception {
    try {
      Closeables.closeAll(containerd, docker, berth, storage);
    } finally {
      containerd = null;
      docker = null;
      berth = null;
      storage = null;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // docker

  /**
   * {@code docker login} fetches a token with {@code offline_token=true} and keeps the refresh token as the
   * identity token, with the user name but no password; push and pull then trade it for access tokens (POST,
   * {@code grant_type=refresh_token}), since docker has nothing else to sign in with.
   */
  @Test
  void dockerLoginKeepsARefreshTokenThatPushesAndPulls() throws IOException {
    Path config = dockerConfig("login");
    Command.Result wrong = docker(config, "login", berth.hostPort(), "--username", "alice", "--password-stdin")
        .stdin(Files.writeString(workDir.resolve("wrong-password"), "not-alice-secret")).run();
    assertNotEquals(0, wrong.exitCode(), "a wrong password must not log in:\n" + wrong.describe());
    assertTrue(Files.notExists(config.resolve("config.json")), "docker stored something for a failed login");

    int loginMark = berth.logMark();
    dockerLogin(config, "alice");
    List<Logged> login = requestsSince(loginMark, "GET", "/v2/", 200);
    assertTrue(login.stream().anyMatch(r -> r.is("GET", "/auth/token") && r.status() == 200
        && r.uri().contains("account=alice") && r.uri().contains("offline_token=true")),
        "docker login asks for a refresh token with GET: " + login);

    // What docker 20.10 keeps: "auth" is base64("alice:"), the password is gone, the refresh token stays.
    String configJson = Files.readString(config.resolve("config.json"));
    assertFalse(configJson.contains(PASSWORDS.get("alice")), "docker kept the password in clear:\n" + configJson);
    JsonNode entry = OciLayout.parse(configJson.getBytes(UTF_8)).path("auths").path(berth.hostPort());
    assertEquals("alice:", new String(Base64.getDecoder().decode(entry.path("auth").asText()), UTF_8), configJson);
    String identityToken = entry.path("identitytoken").asText();
    JsonNode refreshClaims = claims(identityToken);
    assertEquals("alice", refreshClaims.path("sub").asText());
    assertEquals("refresh", refreshClaims.path("token_use").asText());
    assertTrue(refreshClaims.path("access").isMissingNode(), "a refresh token grants nothing itself: " + refreshClaims);
    // And it is no access token: the registry refuses it as one.
    HttpResponse<byte[]> asBearer = berth.send("GET", "/v2/", Map.of("Authorization", "Bearer " + identityToken));
    assertEquals(401, asBearer.statusCode());
    String invalid = header(asBearer, "WWW-Authenticate");
    assertTrue(invalid.contains("error=\"invalid_token\""), invalid);

    String image = berth.hostPort() + "/team/app:1";
    build(context("login", "FROM scratch\nCOPY hello.txt /\n", "hello.txt", "pushed with a refresh token\n"), image);
    String imageId = imageId(image);

    int pushMark = berth.logMark();
    String pushed = pushedDigest(docker(config, "push", image).check().output());
    List<Logged> push = requestsSince(pushMark, "PUT", "/v2/team/app/manifests/1", 201);
    assertTrue(push.stream().anyMatch(r -> r.is("POST", "/auth/token") && r.status() == 200),
        "docker trades its refresh token with POST: " + push);
    assertTrue(push.stream().noneMatch(r -> r.is("GET", "/auth/token")), "no password to GET a token with: " + push);

    docker(config, "rmi", image).check();
    String pull = docker(config, "pull", image).check().output();
    assertTrue(pull.contains("Digest: " + pushed), pull);
    assertEquals(imageId, imageId(image), "the pulled image has another config");

    String alice = token("alice", "repository:team/app:pull");
    HttpResponse<byte[]> manifest = ok(get(alice, "/v2/team/app/manifests/1", DOCKER_MANIFEST));
    assertEquals(pushed, header(manifest, "Docker-Content-Digest"));
    assertEquals(pushed, Digests.sha256(manifest.body()));
    storage.assertImage("team/app", "1", manifest.body());
    JsonNode parsed = OciLayout.parse(manifest.body());
    assertEquals(imageId, parsed.path("config").path("digest").asText());
    assertEquals(imageId, Digests.sha256(ok(get(alice, "/v2/team/app/blobs/" + imageId)).body()));
    String layer = parsed.path("layers").path(0).path("digest").asText();
    assertEquals(layer, Digests.sha256(ok(get(alice, "/v2/team/app/blobs/" + layer)).body()));

    // A later command still signs in with the same identity token: a second tag, whose layer is already there.
    docker(config, "tag", image, berth.hostPort() + "/team/app:2").check();
    String again = docker(config, "push", berth.hostPort() + "/team/app:2").check().output();
    assertTrue(again.contains(": Layer already exists"), again);
    assertEquals(pushed, pushedDigest(again));
    assertEquals(List.of("1", "2"), tags(alice, "team/app"));
    assertEquals(identityToken, OciLayout.parse(Files.readAllBytes(config.resolve("config.json")))
        .path("auths").path(berth.hostPort()).path("identitytoken").asText(), "docker kept the same identity token");
  }

  /** bob may pull team/*; his push is refused, and nothing of it is stored. */
  @Test
  void dockerPushOfAUserWhoMayOnlyPullIsRefusedAndStoresNothing() throws IOException {
    Path aliceConfig = dockerConfig("alice-for-bob");
    dockerLogin(aliceConfig, "alice");
    String image = berth.hostPort() + "/team/shared:1";
    build(context("shared", "FROM scratch\nCOPY shared.txt /\n", "shared.txt", "alice's, for bob to read\n"), image);
    String digest = pushedDigest(docker(aliceConfig, "push", image).check().output());

    Path bobConfig = dockerConfig("bob");
    dockerLogin(bobConfig, "bob");
    docker(bobConfig, "rmi", image).check();
    assertTrue(docker(bobConfig, "pull", image).check().output().contains("Digest: " + digest), "bob pulls");

    String catalogToken = token("alice", "registry:catalog:*", "repository:team/app2:pull");
    JsonNode catalogBefore = OciLayout.parse(ok(get(catalogToken, "/v2/_catalog")).body());
    assertEquals(404, get(catalogToken, "/v2/team/app2/tags/list").statusCode());

    String bobsImage = berth.hostPort() + "/team/app2:1";
    docker(bobConfig, "tag", image, bobsImage).check();
    int mark = berth.logMark();
    Command.Result refused = docker(bobConfig, "push", bobsImage).run();
    assertNotEquals(0, refused.exitCode(), "bob may not push:\n" + refused.describe());
    assertTrue(List.of("denied", "insufficient_scope", "unauthorized").stream().anyMatch(refused.output()::contains),
        "refused as denied or unauthorized:\n" + refused.describe());
    List<Logged> writes = requestsSince(mark).stream()
        .filter(r -> r.uri().startsWith("/v2/team/app2/") && !r.is("HEAD", "") && !r.is("GET", "")).toList();
    assertFalse(writes.isEmpty(), "docker did not even try");
    assertTrue(writes.stream().allMatch(r -> r.status() == 401), "each write refused with 401: " + writes);

    // Berth stored nothing: no tag, no repository in the catalog, no directory.
    assertEquals(404, get(catalogToken, "/v2/team/app2/tags/list").statusCode());
    assertEquals(catalogBefore, OciLayout.parse(ok(get(catalogToken, "/v2/_catalog")).body()));
    assertFalse(storage.exists("repositories/team/app2"), "something stored for team/app2");
    // bob's token for the push says why: it grants pull only.
    JsonNode bobs = claims(token("bob", "repository:team/app2:pull,push"));
    assertEquals("[{\"type\":\"repository\",\"name\":\"team/app2\",\"actions\":[\"pull\"]}]",
        normalizedAccess(bobs), bobs.toString());
  }

  /** Without docker login: public/* pulls, team/* doesn't, and no push goes anywhere. */
  @Test
  void anonymousDockerPullsPublicOnlyAndCannotPush() throws IOException {
    Path config = dockerConfig("anonymous");
    dockerLogin(config, "alice");
    String publicImage = berth.hostPort() + "/public/x:1";
    String teamImage = berth.hostPort() + "/team/secret:1";
    build(context("public", "FROM scratch\nCOPY public.txt /\n", "public.txt", "for anyone\n"), publicImage);
    build(context("secret", "FROM scratch\nCOPY secret.txt /\n", "secret.txt", "for the team only\n"), teamImage);
    String publicDigest = pushedDigest(docker(config, "push", publicImage).check().output());
    pushedDigest(docker(config, "push", teamImage).check().output());

    docker(config, "logout", berth.hostPort()).check();
    assertTrue(OciLayout.parse(Files.readAllBytes(config.resolve("config.json"))).path("auths")
        .path(berth.hostPort()).isMissingNode(), "docker logout left credentials behind");
    docker(config, "rmi", publicImage, teamImage).check();

    int mark = berth.logMark();
    assertTrue(docker(config, "pull", publicImage).check().output().contains("Digest: " + publicDigest));
    assertTrue(requestsSince(mark).stream().anyMatch(r -> r.is("GET", "/auth/token") && r.status() == 200
        && !r.uri().contains("account=")), "an anonymous token, asked for with GET and no account");

    Command.Result secret = docker(config, "pull", teamImage).run();
    assertNotEquals(0, secret.exitCode(), "anonymous pull of team/*:\n" + secret.describe());
    assertTrue(List.of("denied", "unauthorized").stream().anyMatch(secret.output()::contains), secret.describe());
    assertNotEquals(0, docker(config, "image", "inspect", teamImage).run().exitCode(), "the team image came anyway");

    String anonymousTag = berth.hostPort() + "/public/x:anonymous";
    docker(config, "tag", publicImage, anonymousTag).check();
    Command.Result push = docker(config, "push", anonymousTag).run();
    assertNotEquals(0, push.exitCode(), "anonymous push:\n" + push.describe());
    assertEquals(List.of("1"), tags(token(null, "repository:public/x:pull"), "public/x"));

    // Over HTTP: the challenge names the realm, the service and the scope; an anonymous token reads public/* only.
    HttpResponse<byte[]> challenge = berth.send("GET", "/v2/team/secret/manifests/1", Map.of());
    assertEquals(401, challenge.statusCode());
    assertEquals("Bearer realm=\"http://" + berth.hostPort() + "/auth/token\",service=\"berth\","
        + "scope=\"repository:team/secret:pull\"", header(challenge, "WWW-Authenticate"));
    String anonymous = token(null, "repository:team/secret:pull", "repository:public/x:pull,push");
    assertEquals("[{\"type\":\"repository\",\"name\":\"public/x\",\"actions\":[\"pull\"]}]",
        normalizedAccess(claims(anonymous)));
    HttpResponse<byte[]> insufficient = get(anonymous, "/v2/team/secret/manifests/1");
    assertEquals(401, insufficient.statusCode());
    assertTrue(header(insufficient, "WWW-Authenticate").contains("error=\"insufficient_scope\""));
    assertEquals(publicDigest, header(ok(get(anonymous, "/v2/public/x/manifests/1", DOCKER_MANIFEST)),
        "Docker-Content-Digest"));
  }

  /**
   * docker mounts a layer from another repository it knows holds it, asking for a token with pull on that
   * repository too. For alice that is granted and the layer is mounted; carol's token grants nothing on team/*,
   * so Berth answers her mount attempts with a plain upload session, and she uploads the bytes herself.
   */
  @Test
  void dockerMountsAcrossRepositoriesOnlyWhereTheTokenGrantsPull() throws IOException {
    Path alice = dockerConfig("mount-alice");
    dockerLogin(alice, "alice");
    String base = berth.hostPort() + "/team/base:1";
    build(context("base", "FROM scratch\nCOPY base.txt /\n", "base.txt", "the shared base layer\n"), base);
    String basePush = docker(alice, "push", base).check().output();
    assertEquals(1, count(basePush, ": Pushed"), basePush);

    String derived = berth.hostPort() + "/team/other:1";
    build(context("derived", "FROM " + base + "\nCOPY extra.txt /\n", "extra.txt", "one more layer\n"), derived);
    String derivedPush = docker(alice, "push", derived).check().output();
    assertEquals(1, count(derivedPush, ": Mounted from team/base"), derivedPush);
    assertEquals(1, count(derivedPush, ": Pushed"), "only the new layer is uploaded:\n" + derivedPush);
    String derivedDigest = pushedDigest(derivedPush);
    String team = token("alice", "repository:team/other:pull");
    List<String> layers = new ArrayList<>();
    OciLayout.parse(ok(get(team, "/v2/team/other/manifests/1", DOCKER_MANIFEST)).body()).path("layers")
        .forEach(layer -> layers.add(layer.path("digest").asText()));
    assertEquals(2, layers.size());
    String baseLayer = layers.get(0);

    Path carol = dockerConfig("mount-carol");
    dockerLogin(carol, "carol");
    String carols = berth.hostPort() + "/carol/img:1";
    docker(carol, "tag", derived, carols).check();
    int mark = berth.logMark();
    String carolPush = docker(carol, "push", carols).check().output();
    assertEquals(0, count(carolPush, "Mounted from"), "mounted for carol:\n" + carolPush);
    assertEquals(2, count(carolPush, ": Pushed"), "carol uploads both layers herself:\n" + carolPush);
    assertEquals(derivedDigest, pushedDigest(carolPush), "the same image, so the same manifest");

    // docker did try to mount from team/*, and each attempt got an upload session (202), never a mount (201).
    List<Logged> mounts = requestsSince(mark, "PUT", "/v2/carol/img/manifests/1", 201).stream()
        .filter(r -> r.is("POST", "/v2/carol/img/blobs/uploads/") && r.uri().contains("mount=")).toList();
    assertFalse(mounts.isEmpty(), "docker never tried a mount, so this test proves nothing");
    assertTrue(mounts.stream().allMatch(r -> r.uri().contains("from=team%2F") && r.status() == 202),
        "mount attempts from team/* must get an upload session: " + mounts);

    // carol's tokens never grant team/*; what she has, she uploaded.
    String carolsTeamToken = token("carol", "repository:team/base:pull");
    assertEquals("[]", normalizedAccess(claims(carolsTeamToken)));
    assertEquals(401, get(carolsTeamToken, "/v2/team/base/blobs/" + baseLayer).statusCode());
    String carolsToken = token("carol", "repository:carol/img:pull");
    for (String layer : layers) {
      assertEquals(layer, Digests.sha256(ok(get(carolsToken, "/v2/carol/img/blobs/" + layer)).body()));
    }
  }

  /**
   * containers/image (skopeo, podman, buildah) reads docker's config.json too, identity token included, and then
   * trades the refresh token with POST as docker does.
   */
  @Test
  void skopeoSignsInWithTheIdentityTokenOfDockerLogin() throws IOException {
    Clients.require("skopeo");
    Path config = dockerConfig("identity-for-skopeo");
    dockerLogin(config, "bob");
    assertFalse(Files.readString(config.resolve("config.json")).contains(PASSWORDS.get("bob")));
    String image = berth.hostPort() + "/team/for-skopeo:1";
    Path aliceConfig = dockerConfig("alice-for-skopeo");
    dockerLogin(aliceConfig, "alice");
    build(context("for-skopeo", "FROM scratch\nCOPY s.txt /\n", "s.txt", "read by skopeo as bob\n"), image);
    String digest = pushedDigest(docker(aliceConfig, "push", image).check().output());

    int mark = berth.logMark();
    byte[] raw = Command.of("skopeo", "inspect", "--raw", "--tls-verify=false", "--authfile",
        config.resolve("config.json").toString(), "docker://" + image).env(containersClient("identity").env())
        .check().stdoutBytes();
    assertEquals(digest, Digests.sha256(raw));
    List<Logged> requests = requestsSince(mark, "GET", "/v2/team/for-skopeo/manifests/1", 200);
    assertTrue(requests.stream().anyMatch(r -> r.is("POST", "/auth/token") && r.status() == 200), requests.toString());
    assertTrue(requests.stream().noneMatch(r -> r.is("GET", "/auth/token")), "no password to GET with: " + requests);
  }

  /**
   * A new password ends what the old one gave: docker's identity token (the refresh token carries a fingerprint of
   * the password hash) and the old password itself, at once, while the new password signs in.
   */
  @Test
  void aChangedPasswordEndsTheIdentityTokenAndTheOldPassword() throws IOException {
    Clients.require("skopeo");
    Path aliceConfig = dockerConfig("alice-for-dave");
    dockerLogin(aliceConfig, "alice");
    String image = berth.hostPort() + "/team/for-dave:1";
    build(context("for-dave", "FROM scratch\nCOPY d.txt /\n", "d.txt", "read by dave\n"), image);
    String digest = pushedDigest(docker(aliceConfig, "push", image).check().output());

    Path config = dockerConfig("dave");
    dockerLogin(config, "dave");
    assertTrue(docker(config, "pull", image).check().output().contains("Digest: " + digest));
    ContainersClient client = containersClient("dave");
    String oldPassword = "dave:" + PASSWORDS.get("dave");
    Command.of("skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", oldPassword, "docker://" + image)
        .env(client.env()).check();

    Htpasswd.setPassword(htpasswd, "dave", "dave-changed".toCharArray());

    Command.Result withIdentityToken = docker(config, "pull", image).run();
    assertNotEquals(0, withIdentityToken.exitCode(), "the identity token outlived the password:\n"
        + withIdentityToken.describe());
    assertTrue(withIdentityToken.output().contains("unauthorized"), withIdentityToken.describe());
    Command.Result withOldPassword = Command.of("skopeo", "inspect", "--raw", "--tls-verify=false", "--creds",
        oldPassword, "docker://" + image).env(client.env()).run();
    assertNotEquals(0, withOldPassword.exitCode(), "the old password still signs in:\n" + withOldPassword.describe());

    Command.of("skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", "dave:dave-changed",
        "docker://" + image).env(client.env()).check();
    docker(config, "login", berth.hostPort(), "--username", "dave", "--password-stdin")
        .stdin(Files.writeString(workDir.resolve("password-dave-changed"), "dave-changed")).check();
    assertTrue(docker(config, "pull", image).check().output().contains("Digest: " + digest));
  }

  // ---------------------------------------------------------------------------------------------------------
  // buildah, skopeo, podman (containers/image)

  /** buildah pushes a two-platform list as alice; bob reads the index and copies each platform out. */
  @Test
  void buildahPushesATwoPlatformListThatBobReadsWithSkopeo() throws IOException {
    Clients.require("buildah", "skopeo");
    Clients.requireRoot();
    ContainersClient client = containersClient("buildah");
    PrivateImageStore store = PrivateImageStore.in(workDir.resolve("buildah"));
    store.buildah("login", "--tls-verify=false", "--username", "alice", "--password-stdin", berth.hostPort())
        .env(client.env()).stdin(workDir.resolve("password-alice")).check();
    assertTrue(Files.readString(client.authFile()).contains(berth.hostPort()), "buildah login wrote elsewhere");

    Path context = Files.createDirectories(workDir.resolve("buildah-context"));
    Files.writeString(context.resolve("Containerfile"),
        "FROM scratch\nARG TARGETARCH\nCOPY ${TARGETARCH}.txt /arch.txt\n");
    for (String arch : BuildxLayouts.ARCHITECTURES) {
      Files.writeString(context.resolve(arch + ".txt"), "built by buildah for " + arch + "\n");
    }
    store.buildah("build", "--platform", "linux/amd64,linux/arm64", "--manifest", "multi",
        "-f", context.resolve("Containerfile").toString(), context.toString()).env(client.env()).check();
    String reference = berth.hostPort() + "/team/multi:1";
    Path digestFile = workDir.resolve("buildah.digest");
    store.buildah("manifest", "push", "--all", "--tls-verify=false", "--digestfile", digestFile.toString(),
        "multi", "docker://" + reference).env(client.env()).check();
    String indexDigest = Files.readString(digestFile).trim();

    String alice = token("alice", "repository:team/multi:pull");
    HttpResponse<byte[]> stored = ok(get(alice, "/v2/team/multi/manifests/1", OCI_INDEX, DOCKER_LIST));
    assertEquals(indexDigest, header(stored, "Docker-Content-Digest"));
    assertEquals(indexDigest, Digests.sha256(stored.body()));
    storage.assertImage("team/multi", "1", stored.body());
    Map<String, String> byArch = new TreeMap<>();
    OciLayout.parse(stored.body()).path("manifests").forEach(entry ->
        byArch.put(entry.path("platform").path("architecture").asText(), entry.path("digest").asText()));
    assertEquals(BuildxLayouts.ARCHITECTURES, List.copyOf(byArch.keySet()));

    // bob, with his own credentials only (an empty auth file): the index, then each platform.
    ContainersClient bob = containersClient("skopeo-bob");
    byte[] raw = Command.of("skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", creds("bob"),
        "docker://" + reference).env(bob.env()).check().stdoutBytes();
    assertEquals(indexDigest, Digests.sha256(raw), "bob reads the index buildah pushed");
    for (String arch : BuildxLayouts.ARCHITECTURES) {
      Path pulled = workDir.resolve("buildah-pulled-" + arch);
      Command.of("skopeo", "copy", "--src-tls-verify=false", "--src-creds", creds("bob"), "--override-os", "linux",
          "--override-arch", arch, "docker://" + reference, "oci:" + pulled + ":1").env(bob.env()).check();
      OciLayout layout = new OciLayout(pulled);
      String manifestDigest = layout.indexJson().path("manifests").path(0).path("digest").asText();
      assertEquals(byArch.get(arch), manifestDigest, "skopeo picked another image for " + arch);
      JsonNode manifest = layout.jsonBlob(manifestDigest);
      JsonNode config = layout.jsonBlob(manifest.path("config").path("digest").asText());
      assertEquals(arch, config.path("architecture").asText());
      layout.blob(manifest.path("layers").path(0).path("digest").asText()); // present, and matching its digest
    }

    Command.Result anonymous = Command.of("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + reference)
        .env(bob.env()).run();
    assertNotEquals(0, anonymous.exitCode(), "no anonymous reads of team/*:\n" + anonymous.describe());
  }

  /** skopeo copies in as alice and out as bob; as bob it is refused, and stores nothing. */
  @Test
  void skopeoCopiesInAsAliceOutAsBobAndBobCannotCopyIn() throws IOException {
    Clients.require("skopeo");
    ContainersClient client = containersClient("skopeo");
    Built image = layouts.singleImage("skopeo-source");
    String source = "oci:" + workDir.resolve("layouts/skopeo-source") + ":1";
    String remote = "docker://" + berth.hostPort() + "/team/sk:1";
    Command.of("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", creds("alice"), source, remote)
        .env(client.env()).check();

    String alice = token("alice", "repository:team/sk:pull");
    HttpResponse<byte[]> stored = ok(get(alice, "/v2/team/sk/manifests/1", OCI_MANIFEST));
    assertEquals(image.digest(), header(stored, "Docker-Content-Digest"));
    assertArrayEquals(image.bytes(), stored.body());

    Path out = workDir.resolve("skopeo-out");
    Command.of("skopeo", "copy", "--src-tls-verify=false", "--src-creds", creds("bob"), remote, "oci:" + out + ":1")
        .env(client.env()).check();
    OciLayout copy = new OciLayout(out);
    assertEquals(image.digest(), copy.indexJson().path("manifests").path(0).path("digest").asText());
    assertArrayEquals(image.bytes(), copy.blob(image.digest()));
    image.blobs().forEach((digest, bytes) -> assertArrayEquals(bytes, copy.blob(digest), digest));

    // bob into a new repository, and into team/sk itself, where every blob is already there and only the manifest
    // would be new: both refused, nothing stored.
    for (String target : List.of("team/sk-bob:1", "team/sk:by-bob")) {
      Command.Result refused = Command.of("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", creds("bob"),
          source, "docker://" + berth.hostPort() + "/" + target).env(client.env()).run();
      assertNotEquals(0, refused.exitCode(), "bob may not push " + target + ":\n" + refused.describe());
    }
    assertEquals(404, get(token("alice", "repository:team/sk-bob:pull"), "/v2/team/sk-bob/tags/list").statusCode());
    assertFalse(storage.exists("repositories/team/sk-bob"), "something stored for team/sk-bob");
    assertEquals(List.of("1"), tags(alice, "team/sk"));

    // skopeo delete asks for repository:team/sk:* ; only alice is granted delete.
    Command.Result bobDeletes = Command.of("skopeo", "delete", "--tls-verify=false", "--creds", creds("bob"), remote)
        .env(client.env()).run();
    assertNotEquals(0, bobDeletes.exitCode(), "bob may not delete:\n" + bobDeletes.describe());
    assertEquals(200, get(alice, "/v2/team/sk/manifests/" + image.digest(), OCI_MANIFEST).statusCode());
    Command.of("skopeo", "delete", "--tls-verify=false", "--creds", creds("alice"), remote).env(client.env()).check();
    assertEquals(404, get(alice, "/v2/team/sk/manifests/" + image.digest(), OCI_MANIFEST).statusCode());
  }

  /** podman login, push, pull and search as alice, and after podman logout no pull at all. */
  @Test
  void podmanLogsInPushesAndPulls() throws IOException {
    Clients.require("podman");
    Clients.requireRoot();
    ContainersClient client = containersClient("podman");
    PrivateImageStore store = PrivateImageStore.in(workDir.resolve("podman"));
    store.podman("login", "--tls-verify=false", "--username", "alice", "--password-stdin", berth.hostPort())
        .env(client.env()).stdin(workDir.resolve("password-alice")).check();
    assertTrue(Files.readString(client.authFile()).contains(berth.hostPort()), "podman login wrote elsewhere");

    Path context = Files.createDirectories(workDir.resolve("podman-context"));
    Files.writeString(context.resolve("Containerfile"), "FROM scratch\nCOPY podman.txt /\n");
    Files.writeString(context.resolve("podman.txt"), "pushed by podman with a token\n");
    String image = berth.hostPort() + "/team/podman:1";
    store.podman("build", "--tag", image, "-f", context.resolve("Containerfile").toString(), context.toString())
        .env(client.env()).check();
    Path digestFile = workDir.resolve("podman.digest");
    store.podman("push", "--tls-verify=false", "--digestfile", digestFile.toString(), image).env(client.env()).check();
    String digest = Files.readString(digestFile).trim();

    store.podman("rmi", image).env(client.env()).check();
    store.podman("pull", "--tls-verify=false", image).env(client.env()).check();
    assertEquals(digest, store.podman("image", "inspect", "--format", "{{.Digest}}", image).env(client.env())
        .check().stdout().trim());

    HttpResponse<byte[]> stored = ok(get(token("alice", "repository:team/podman:pull"), "/v2/team/podman/manifests/1",
        OCI_MANIFEST, DOCKER_MANIFEST));
    assertEquals(digest, header(stored, "Docker-Content-Digest"));
    assertEquals(digest, Digests.sha256(stored.body()));

    // podman search: the catalog (registry:catalog:*, which a rule gives alice) and a tag list.
    String found = store.podman("search", "--tls-verify=false", berth.hostPort() + "/team/").env(client.env())
        .check().stdout();
    assertTrue(found.contains(berth.hostPort() + "/team/podman"), "the catalog as podman search shows it:\n" + found);
    String tagList = store.podman("search", "--list-tags", "--tls-verify=false", berth.hostPort() + "/team/podman")
        .env(client.env()).check().stdout();
    assertTrue(tagList.lines().anyMatch(line -> line.matches(".*/team/podman\\s+1\\s*")), tagList);

    store.podman("logout", berth.hostPort()).env(client.env()).check();
    store.podman("rmi", image).env(client.env()).check();
    Command.Result anonymous = store.podman("pull", "--tls-verify=false", image).env(client.env()).run();
    assertNotEquals(0, anonymous.exitCode(), "pulled team/* after logout:\n" + anonymous.describe());
  }

  // ---------------------------------------------------------------------------------------------------------
  // containerd (what buildx and buildkit push with)

  /**
   * containerd's pusher, given credentials, asks for its token with the OAuth2 POST (grant_type=password) first, and
   * falls back to GET only when that fails; so a push that sent no GET proves the POST worked.
   */
  @Test
  void containerdPushesABuildxIndexWithAnOAuth2PasswordGrant() throws IOException {
    Clients.require("containerd", "ctr");
    Clients.requireRoot();
    Built image = layouts.buildxImage("ctr-token", "pushed by containerd with a token");
    String ns = "token";
    containerd().ctr(ns, "images", "import", "--all-platforms", "--no-unpack", "--base-name", "local/buildx",
        image.tar().toString()).check();
    String remote = berth.hostPort() + "/team/buildx:1";

    int mark = berth.logMark();
    Command.Result push = containerd().ctr(ns, "images", "push", "--plain-http", "--http-dump", "--user",
        creds("alice"), remote, "local/buildx:1").check();
    String dump = push.output();
    assertTrue(dump.contains("POST /auth/token HTTP/1.1"), "containerd sent no token POST:\n" + push.describe());
    assertTrue(dump.contains("grant_type=password") && dump.contains("username=alice"), "not a password grant");
    assertFalse(dump.contains("GET /auth/token"), "containerd fell back to GET:\n" + push.describe());
    List<Logged> requests = requestsSince(mark, "PUT", "/v2/team/buildx/manifests/1", 201);
    assertTrue(requests.stream().anyMatch(r -> r.is("POST", "/auth/token") && r.status() == 200), requests.toString());
    assertTrue(requests.stream().noneMatch(r -> r.is("GET", "/auth/token")), requests.toString());

    String alice = token("alice", "repository:team/buildx:pull");
    HttpResponse<byte[]> stored = ok(get(alice, "/v2/team/buildx/manifests/1", OCI_INDEX));
    assertEquals(image.digest(), header(stored, "Docker-Content-Digest"));
    assertArrayEquals(image.bytes(), stored.body());
    for (Map.Entry<String, byte[]> child : image.manifests().entrySet()) {
      assertArrayEquals(child.getValue(), ok(get(alice, "/v2/team/buildx/manifests/" + child.getKey(), OCI_MANIFEST))
          .body(), "manifest " + child.getKey());
    }
    for (Map.Entry<String, byte[]> blob : image.blobs().entrySet()) {
      assertArrayEquals(blob.getValue(), ok(get(alice, "/v2/team/buildx/blobs/" + blob.getKey())).body(),
          blob.getKey());
    }

    // buildx signed in with docker login hands containerd the identity token: a refresh_token grant, also POST.
    String refreshToken = OciLayout.parse(ok(berth.send("GET", "/auth/token?service=berth&offline_token=true",
        Map.of("Authorization", basic("alice")))).body()).path("refresh_token").asText();
    mark = berth.logMark();
    Command.Result refreshed = containerd().ctr(ns, "images", "push", "--plain-http", "--http-dump", "--refresh",
        refreshToken, berth.hostPort() + "/team/buildx:2", "local/buildx:1").check();
    assertTrue(refreshed.output().contains("grant_type=refresh_token"), "no refresh grant:\n" + refreshed.describe());
    assertFalse(refreshed.output().contains("GET /auth/token"), "fell back to GET:\n" + refreshed.describe());
    requests = requestsSince(mark, "PUT", "/v2/team/buildx/manifests/2", 201);
    assertTrue(requests.stream().anyMatch(r -> r.is("POST", "/auth/token") && r.status() == 200), requests.toString());
    assertEquals(image.digest(),
        header(ok(get(alice, "/v2/team/buildx/manifests/2", OCI_INDEX)), "Docker-Content-Digest"));

    // bob fetches everything back into an empty namespace, and may not push.
    containerd().ctr("token-bob", "content", "fetch", "--plain-http", "--all-platforms", "--user", creds("bob"), remote)
        .check();
    image.everything().forEach((digest, bytes) -> assertArrayEquals(bytes,
        containerd().ctr("token-bob", "content", "get", digest).check().stdoutBytes(), "bob fetched " + digest));
    Command.Result refused = containerd().ctr(ns, "images", "push", "--plain-http", "--user", creds("bob"),
        berth.hostPort() + "/team/buildx:by-bob", "local/buildx:1").run();
    assertNotEquals(0, refused.exitCode(), "bob may not push:\n" + refused.describe());
    assertEquals(List.of("1", "2"), tags(alice, "team/buildx"));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Clients.

  private static synchronized DockerDaemon docker() throws IOException {
    if (docker == null) {
      Clients.require("dockerd", "docker");
      Clients.requireRoot();
      docker = DockerDaemon.start();
      LOGS.watch("dockerd", docker.logFile());
    }
    return docker;
  }

  private static synchronized ContainerdDaemon containerd() {
    if (containerd == null) {
      try {
        containerd = ContainerdDaemon.start();
      } catch (IOException e) {
        fail("cannot start containerd", e);
      }
      LOGS.watch("containerd", containerd.logFile());
    }
    return containerd;
  }

  /** A docker client config directory of its own, so each test signs in (or not) for itself. */
  private static Path dockerConfig(String name) throws IOException {
    docker();
    return Files.createDirectories(workDir.resolve("docker-config-" + name));
  }

  private static Command docker(Path config, String... args) {
    return docker.docker(args).env("DOCKER_CONFIG", config.toString());
  }

  private static void dockerLogin(Path config, String user) {
    docker(config, "login", berth.hostPort(), "--username", user, "--password-stdin")
        .stdin(workDir.resolve("password-" + user)).check();
  }

  /**
   * Where buildah, podman and skopeo keep credentials ({@code REGISTRY_AUTH_FILE}) and read registry settings
   * ({@code CONTAINERS_REGISTRIES_CONF}), in a directory of the test's.
   */
  record ContainersClient(Path authFile, Path registriesConf) {
    Map<String, String> env() {
      Map<String, String> env = new LinkedHashMap<>();
      env.put("REGISTRY_AUTH_FILE", authFile.toString());
      env.put("CONTAINERS_REGISTRIES_CONF", registriesConf.toString());
      return env;
    }
  }

  private static ContainersClient containersClient(String name) throws IOException {
    Path dir = Files.createDirectories(workDir.resolve("containers-config-" + name));
    Path registries = Files.writeString(dir.resolve("registries.conf"), """
        unqualified-search-registries = []

        [[registry]]
        location = "%s"
        insecure = true
        """.formatted(berth.hostPort()));
    return new ContainersClient(dir.resolve("auth.json"), registries);
  }

  private static String creds(String user) {
    return user + ":" + PASSWORDS.get(user);
  }

  private static Path context(String name, String dockerfile, String... files) throws IOException {
    Path dir = Files.createDirectories(workDir.resolve("contexts").resolve(name));
    Files.writeString(dir.resolve("Dockerfile"), dockerfile);
    for (int i = 0; i < files.length; i += 2) {
      Files.writeString(dir.resolve(files[i]), files[i + 1]);
    }
    return dir;
  }

  private static void build(Path context, String tag) throws IOException {
    docker().docker("build", "--tag", tag, context.toString()).env("DOCKER_BUILDKIT", "0").check();
  }

  private static String imageId(String image) {
    return docker.docker("image", "inspect", "--format", "{{.Id}}", image).check().stdout().trim();
  }

  private static String pushedDigest(String pushOutput) {
    Matcher matcher = PUSHED_DIGEST.matcher(pushOutput);
    assertTrue(matcher.find(), "no digest in push output:\n" + pushOutput);
    return matcher.group(1);
  }

  private static int count(String text, String needle) {
    return text.split(Pattern.quote(needle), -1).length - 1;
  }

  // ---------------------------------------------------------------------------------------------------------
  // The registry, over HTTP, with tokens of our own.

  /** An access token from the token endpoint: docker's GET, as {@code user} (null: anonymous). */
  private static String token(String user, String... scopes) throws IOException {
    StringBuilder path = new StringBuilder("/auth/token?service=berth");
    for (String scope : scopes) {
      path.append("&scope=").append(URLEncoder.encode(scope, UTF_8));
    }
    Map<String, String> headers = user == null ? Map.of() : Map.of("Authorization", basic(user));
    return OciLayout.parse(ok(berth.send("GET", path.toString(), headers)).body()).path("token").asText();
  }

  private static String basic(String user) {
    return "Basic " + Base64.getEncoder().encodeToString(creds(user).getBytes(UTF_8));
  }

  private static HttpResponse<byte[]> get(String token, String path, String... acceptedTypes) throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Authorization", "Bearer " + token);
    if (acceptedTypes.length > 0) {
      headers.put("Accept", String.join(", ", acceptedTypes));
    }
    return berth.send("GET", path, headers);
  }

  private static List<String> tags(String token, String repository) throws IOException {
    List<String> tags = new ArrayList<>();
    OciLayout.parse(ok(get(token, "/v2/" + repository + "/tags/list")).body()).path("tags")
        .forEach(tag -> tags.add(tag.asText()));
    return tags;
  }

  /** A JWT's claims (its payload), unverified: Berth verifies, the test only reads. */
  private static JsonNode claims(String jwt) {
    String[] parts = jwt.split("\\.");
    assertEquals(3, parts.length, "not a JWS: " + jwt);
    return OciLayout.parse(Base64.getUrlDecoder().decode(parts[1]));
  }

  /** A token's {@code access} claim with keys in a fixed order, to compare as a string. */
  private static String normalizedAccess(JsonNode claims) {
    List<String> grants = new ArrayList<>();
    for (JsonNode grant : claims.path("access")) {
      List<String> actions = new ArrayList<>();
      grant.path("actions").forEach(action -> actions.add("\"" + action.asText() + "\""));
      actions.sort(null);
      grants.add("{\"type\":\"" + grant.path("type").asText() + "\",\"name\":\"" + grant.path("name").asText()
          + "\",\"actions\":[" + String.join(",", actions) + "]}");
    }
    return "[" + String.join(",", grants) + "]";
  }

  /** A request as Berth's access log shows it. */
  record Logged(String method, String uri, int status) {
    /** This method on this path (the URI without its query); an empty path matches any. */
    boolean is(String method, String path) {
      String bare = uri.contains("?") ? uri.substring(0, uri.indexOf('?')) : uri;
      return this.method.equals(method) && (path.isEmpty() || bare.equals(path));
    }
  }

  private static List<Logged> requestsSince(int mark) {
    List<Logged> requests = new ArrayList<>();
    Matcher matcher = ACCESS_LINE.matcher(berth.logSince(mark));
    while (matcher.find()) {
      requests.add(new Logged(matcher.group(1), matcher.group(2), Integer.parseInt(matcher.group(3))));
    }
    return requests;
  }

  /**
   * The requests since {@code mark}, once the one the client sent last is in the log: Berth logs a request after
   * writing its response, so the client may be done a moment before the line is.
   */
  private static List<Logged> requestsSince(int mark, String method, String path, int status) {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (true) {
      List<Logged> requests = requestsSince(mark);
      if (requests.stream().anyMatch(r -> r.is(method, path) && r.status() == status)) {
        return requests;
      }
      if (System.nanoTime() > deadline) {
        fail("no " + method + " " + path + " answered " + status + " in the access log: " + requests);
      }
      BerthProcess.sleep(Duration.ofMillis(50));
    }
  }
}
