package io.berth.e2e;

import static io.berth.e2e.HttpAssertions.header;
import static io.berth.e2e.HttpAssertions.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.server.tls.TestCertificates;
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
 * docker pushes to and pulls from Berth over HTTPS, trusting Berth's CA the way an administrator sets it up:
 * {@code /etc/docker/certs.d/HOST:PORT/ca.crt}.
 *
 * <p>dockerd treats every registry whose name resolves into 127.0.0.0/8 as insecure: it would try HTTPS without
 * verifying the certificate, then fall back to plain HTTP, and prove nothing. So the registry gets a name of its
 * own, {@value #HOST}, which the daemon's private /etc/hosts resolves to ::1 only, where Berth listens; the
 * daemon then treats it as a secure registry: HTTPS only, certificate verified. The push is first refused for an
 * unknown authority, and succeeds once certs.d holds the CA. Berth has no plain listener here, so every request
 * that got through was HTTPS.
 */
class DockerHttpsEndToEndTest {
  private static final String HOST = "berth-tls.test";
  private static final Pattern PUSHED_DIGEST = Pattern.compile("digest: (sha256:[0-9a-f]{64}) size: (\\d+)");

  @RegisterExtension
  static final PrintLogsOnFailure LOGS = new PrintLogsOnFailure();

  @TempDir
  static Path workDir;

  static TestCertificates certs;
  static BerthProcess berth;
  static DockerDaemon docker;
  static Path etcDocker;

  @BeforeAll
  static void start() throws Exception {
    Clients.require("dockerd", "docker", "openssl", "unshare");
    Clients.requireRoot();
    certs = TestCertificates.make(workDir.resolve("certs"), HOST, "::1");
    Path berthDir = Files.createDirectories(workDir.resolve("berth"));
    Files.writeString(berthDir.resolve("config.yml"), """
        http:
          tls:
            certificate: %s
            key: %s
        """.formatted(certs.certificate(), certs.key()));
    berth = BerthProcess.startHttps(berthDir, "::1", certs.trustingCa());
    LOGS.watch("berth", berth.logFile());
    Path hosts = Files.writeString(workDir.resolve("hosts"), "127.0.0.1 localhost\n::1 " + HOST + "\n");
    etcDocker = Files.createDirectories(workDir.resolve("etc-docker"));
    docker = DockerDaemon.startWithOwnEtc(hosts, etcDocker);
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

  @Test
  void dockerVerifiesBerthsCertificateAgainstTheCaInCertsD() throws IOException {
    String registry = HOST + ":" + berth.port();
    Path context = Files.createDirectories(workDir.resolve("context"));
    Files.writeString(context.resolve("Dockerfile"), "FROM scratch\nCOPY hello.txt /\n");
    Files.writeString(context.resolve("hello.txt"), "hello over HTTPS\n");
    String image = registry + "/team/tls:1";
    docker.docker("build", "--tag", image, context.toString()).env("DOCKER_BUILDKIT", "0").check();

    Command.Result untrusted = docker.docker("push", image).run();
    assertNotEquals(0, untrusted.exitCode(), "the CA is not trusted yet:\n" + untrusted.describe());
    assertTrue(untrusted.output().contains("x509: certificate signed by unknown authority"),
        "refused for the certificate, so docker verified it:\n" + untrusted.describe());

    Path certsD = Files.createDirectories(etcDocker.resolve("certs.d").resolve(registry));
    Files.copy(certs.ca(), certsD.resolve("ca.crt"));
    Matcher pushed = PUSHED_DIGEST.matcher(docker.docker("push", image).check().output());
    assertTrue(pushed.find(), "the push reports a digest");
    String digest = pushed.group(1);
    assertEquals(digest, header(ok(berth.get("/v2/team/tls/manifests/1",
        "application/vnd.docker.distribution.manifest.v2+json")), "Docker-Content-Digest"));

    docker.docker("rmi", image).check();
    String pull = docker.docker("pull", image).check().output();
    assertTrue(pull.contains(digest), "the pull gets what was pushed:\n" + pull);
  }
}
