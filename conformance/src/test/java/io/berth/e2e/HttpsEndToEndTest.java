package io.berth.e2e;

import static io.berth.e2e.HttpAssertions.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.server.tls.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Berth from its jar serving HTTPS with a certificate from a throwaway CA (made by {@code deploy/tls-certs.sh}),
 * and plain HTTP on {@code http.plainaddr}: curl and skopeo succeed when they trust the CA and fail on the
 * certificate when they don't, which proves they verified it; plain HTTP to the HTTPS port is answered 400; and
 * none of that puts a warning or a stack trace in Berth's log.
 */
class HttpsEndToEndTest {
  private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

  @RegisterExtension
  static final PrintLogsOnFailure LOGS = new PrintLogsOnFailure();

  @TempDir
  static Path workDir;

  static TestCertificates certs;
  static BerthProcess berth;
  static int plainPort;

  @BeforeAll
  static void start() throws Exception {
    Clients.require("openssl", "curl", "skopeo");
    certs = TestCertificates.make(workDir.resolve("certs"), "localhost", "127.0.0.1");
    Path berthDir = Files.createDirectories(workDir.resolve("berth"));
    plainPort = FreePort.find("127.0.0.1");
    Files.writeString(berthDir.resolve("config.yml"), """
        http:
          plainaddr: 127.0.0.1:%d
          tls:
            certificate: %s
            key: %s
        """.formatted(plainPort, certs.certificate(), certs.key()));
    berth = BerthProcess.startHttps(berthDir, "127.0.0.1", certs.trustingCa());
    LOGS.watch("berth", berth.logFile());
  }

  @AfterAll
  static void stop() {
    if (berth != null) {
      berth.close();
    }
  }

  private static Command curl(String... args) {
    List<String> command = new ArrayList<>(List.of("curl", "--silent", "--show-error", "--max-time", "20"));
    command.addAll(List.of(args));
    return Command.of(command.toArray(String[]::new));
  }

  @Test
  void curlTrustsTheCaAndRefusesTheCertificateWithoutIt() {
    String url = berth.baseUrl() + "/v2/";
    assertTrue(url.startsWith("https://127.0.0.1:"), url);
    Command.Result trusted = curl("--cacert", certs.ca().toString(), "--output", "/dev/null",
        "--write-out", "%{http_code} %{scheme}", url).check();
    assertEquals("200 HTTPS", trusted.stdout());

    Command.Result untrusted = curl("--output", "/dev/null", url).run();
    assertEquals(60, untrusted.exitCode(), "curl's 'peer certificate cannot be authenticated':\n"
        + untrusted.describe());

    Command.Result plainToTls = curl("--write-out", " %{http_code}", "http://" + berth.hostPort() + "/v2/").run();
    assertEquals("Client sent an HTTP request to an HTTPS server port\n 400", plainToTls.stdout(),
        plainToTls.describe());

    Command.Result plain = curl("--output", "/dev/null", "--write-out", "%{http_code} %{scheme}",
        "http://127.0.0.1:" + plainPort + "/v2/").check();
    assertEquals("200 HTTP", plain.stdout(), "the plain listener serves plain HTTP meanwhile");

    assertQuietLog();
  }

  @Test
  void skopeoPushesAndPullsWhenItsCertDirHoldsTheCaAndFailsWithoutIt() throws IOException {
    OciLayout source = OciLayout.create(workDir.resolve("source"));
    byte[] manifest = source.writeImage("amd64", "pushed over HTTPS\n");
    source.writeIndexJson("1", manifest, OCI_MANIFEST);
    String digest = Digests.sha256(manifest);
    // skopeo reads DIR/*.crt as CAs, the layout of /etc/containers/certs.d/HOST:PORT/.
    Path certDir = Files.createDirectories(workDir.resolve("skopeo-certs"));
    Files.copy(certs.ca(), certDir.resolve("ca.crt"));
    String remote = "docker://" + berth.hostPort() + "/team/verified:1";

    Command.Result refused = Command.of("skopeo", "copy", "--dest-tls-verify=true",
        "oci:" + source.dir() + ":1", remote).run();
    assertNotEquals(0, refused.exitCode(), "no CA, no push:\n" + refused.describe());
    assertTrue(refused.output().contains("x509: certificate signed by unknown authority"), refused.describe());
    assertEquals(404, berth.head("/v2/team/verified/manifests/1").statusCode(), "nothing pushed");

    Command.of("skopeo", "copy", "--dest-tls-verify=true", "--dest-cert-dir", certDir.toString(),
        "oci:" + source.dir() + ":1", remote).check();
    assertArrayEquals(manifest, ok(berth.get("/v2/team/verified/manifests/1", OCI_MANIFEST)).body());

    Path copy = workDir.resolve("copy");
    Command.of("skopeo", "copy", "--src-tls-verify=true", "--src-cert-dir", certDir.toString(), remote,
        "oci:" + copy + ":1").check();
    OciLayout copied = new OciLayout(copy);
    assertEquals(digest, copied.indexJson().path("manifests").path(0).path("digest").asText());
    for (String blob : new String[] {
        OciLayout.parse(manifest).path("config").path("digest").asText(),
        OciLayout.parse(manifest).path("layers").path(0).path("digest").asText()}) {
      assertArrayEquals(source.blob(blob), copied.blob(blob), "blob " + blob + " over HTTPS");
    }
    assertQuietLog();
  }

  @Test
  void aKeyWithoutItsCertificateStopsBerthWithOneClearLine() throws Exception {
    Path dir = Files.createDirectories(workDir.resolve("refused"));
    Files.writeString(dir.resolve("config.yml"), "http:\n  tls:\n    key: " + certs.key() + "\n");
    Command.Result refused = BerthProcess.runExpectingRefusal(dir);
    assertEquals(2, refused.exitCode(), refused.describe());
    assertEquals("berth: bad configuration: HTTPS needs both http.tls.certificate and http.tls.key, and"
        + " http.tls.certificate is not set (set neither for plain HTTP)\n", refused.stderr());
  }

  /** Failed handshakes and plain HTTP on the HTTPS port are the clients' business: nothing at WARN or above. */
  private static void assertQuietLog() {
    String log = berth.log();
    assertFalse(log.contains(" WARN ") || log.contains(" ERROR ") || log.contains("Exception")
        || log.contains("\tat "), "Berth's log:\n" + log);
  }
}
