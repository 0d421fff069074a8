package io.berth.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.server.auth.Htpasswd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker and skopeo against Berth in htpasswd mode: {@code docker login} checks the password, a user with push
 * rights pushes, a user with pull rights only is refused a push (and nothing is stored) but pulls; skopeo copies
 * between repositories with {@code --creds} (a cross-repository mount) and is refused where the rules say so.
 */
class DockerLoginEndToEndTest {
  private static final Pattern PUSHED_DIGEST = Pattern.compile("digest: (sha256:[0-9a-f]{64}) size: (\\d+)");

  @RegisterExtension
  static final PrintLogsOnFailure LOGS = new PrintLogsOnFailure();

  @TempDir
  static Path workDir;

  static BerthProcess berth;
  static DockerDaemon docker;

  @BeforeAll
  static void start() throws IOException {
    Clients.require("dockerd", "docker");
    Clients.requireRoot();
    Path berthDir = Files.createDirectories(workDir.resolve("berth"));
    Path htpasswd = berthDir.resolve("htpasswd");
    Htpasswd.setPassword(htpasswd, "alice", "alice-secret".toCharArray());
    Htpasswd.setPassword(htpasswd, "bob", "bob-secret".toCharArray());
    Files.writeString(berthDir.resolve("config.yml"), """
        auth:
          mode: htpasswd
          htpasswd: {path: %s}
          access:
            - {repositories: "team/*", users: [alice], actions: [pull, push]}
            - {repositories: "team/*", users: [bob], actions: [pull]}
        """.formatted(htpasswd));
    berth = BerthProcess.start(berthDir);
    LOGS.watch("berth", berth.logFile());
    docker = DockerDaemon.start();
    LOGS.watch("dockerd", docker.logFile());
  }

  @AfterAll
  static void stop() {
    if (docker != null) {
      docker.close();
    }
    if (berth != null) {
      berth.close();
    }
  }

  private static Command.Result login(String user, String password) throws IOException {
    Path secret = Files.writeString(workDir.resolve("password-" + user), password);
    return docker.docker("login", berth.hostPort(), "--username", user, "--password-stdin").stdin(secret).run();
  }

  @Test
  void loginPushAndPullFollowTheAccessRules() throws IOException {
    assertNotEquals(0, login("alice", "wrong").exitCode(), "a wrong password must not log in");

    Path context = Files.createDirectories(workDir.resolve("context"));
    Files.writeString(context.resolve("Dockerfile"), "FROM scratch\nCOPY hello.txt /\n");
    Files.writeString(context.resolve("hello.txt"), "hello from a signed-in push\n");
    String image = berth.hostPort() + "/team/private:1";
    docker.docker("build", "--tag", image, context.toString()).env("DOCKER_BUILDKIT", "0").check();

    assertEquals(0, login("alice", "alice-secret").exitCode(), "alice logs in");
    Matcher pushed = PUSHED_DIGEST.matcher(docker.docker("push", image).check().output());
    assertTrue(pushed.find(), "alice's push reports a digest");
    String digest = pushed.group(1);

    assertEquals(0, login("bob", "bob-secret").exitCode(), "bob logs in");
    String bobsTag = berth.hostPort() + "/team/private:by-bob";
    docker.docker("tag", image, bobsTag).check();
    Command.Result refused = docker.docker("push", bobsTag).run();
    assertNotEquals(0, refused.exitCode(), "bob may not push:\n" + refused.describe());
    assertTrue(refused.output().contains("denied"), "refused as denied (403):\n" + refused.describe());
    assertTrue(Files.notExists(berth.storage().resolve("repositories/team/private/_manifests/tags/by-bob")),
        "nothing stored for the refused push");

    docker.docker("rmi", image, bobsTag).check();
    String pull = docker.docker("pull", image).check().output();
    assertTrue(pull.contains(digest), "bob pulls what alice pushed:\n" + pull);

    copyWithSkopeo(image, digest);
  }

  private static void copyWithSkopeo(String image, String digest) {
    Clients.require("skopeo");
    String source = "docker://" + image;
    Command.of("skopeo", "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
        "--src-creds", "alice:alice-secret", "--dest-creds", "alice:alice-secret",
        source, "docker://" + berth.hostPort() + "/team/copy:1").check();
    assertTrue(Files.exists(berth.storage().resolve("repositories/team/copy/_manifests/tags/1")), "alice's copy");
    byte[] copied = Command.of("skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", "bob:bob-secret",
        "docker://" + berth.hostPort() + "/team/copy:1").check().stdoutBytes();
    assertEquals(digest, Digests.sha256(copied), "the same manifest, read back by bob");

    Command.Result bobCopies = Command.of("skopeo", "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
        "--src-creds", "bob:bob-secret", "--dest-creds", "bob:bob-secret",
        source, "docker://" + berth.hostPort() + "/team/bobcopy:1").run();
    assertNotEquals(0, bobCopies.exitCode(), "bob may not push with skopeo either:\n" + bobCopies.describe());
    assertTrue(Files.notExists(berth.storage().resolve("repositories/team/bobcopy/_manifests")), "nothing stored");

    Command.Result anonymous = Command.of("skopeo", "inspect", "--raw", "--tls-verify=false", source).run();
    assertNotEquals(0, anonymous.exitCode(), "no anonymous reads of team/*:\n" + anonymous.describe());
  }
}
