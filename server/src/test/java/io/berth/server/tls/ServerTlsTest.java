package io.berth.server.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.server.config.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading {@code http.tls} at start: the key forms OpenSSL writes are accepted, and every mistake stops Berth with
 * a message that names the option and the fix.
 */
class ServerTlsTest {
  @TempDir
  static Path temp;
  static TestCertificates certs;

  @BeforeAll
  static void makeCertificates() {
    certs = TestCertificates.make(temp.resolve("certs"), "localhost", "127.0.0.1");
  }

  private static ServerConfig.Tls tls(Object certificate, Object key) {
    return new ServerConfig.Tls(certificate.toString(), key.toString(), "tls1.2");
  }

  private static String refusal(ServerConfig.Tls tls) {
    return assertThrows(IllegalArgumentException.class, () -> ServerTls.load(tls)).getMessage();
  }

  private static void assertMentions(String message, String... parts) {
    for (String part : parts) {
      assertTrue(message.contains(part), () -> "\"" + part + "\" missing from: " + message);
    }
  }

  @Test
  void noFilesMeansNoTls() {
    assertTrue(ServerTls.load(ServerConfig.DEFAULTS.http().tls()).isEmpty());
  }

  @Test
  void pkcs8KeyAndCertificateFromTheScript() {
    ServerTls tls = ServerTls.load(certs.tls()).orElseThrow();
    assertEquals("CN=localhost", tls.certificate().getSubjectX500Principal().getName());
  }

  /**
   * TLS 1.2 suites with forward secrecy and an AEAD cipher only, as distribution's defaults: not the CBC-SHA1
   * suites Netty enables by default, nor static RSA key exchange (off in recent JDKs only by their security policy).
   */
  @Test
  void onlyForwardSecretAeadCipherSuitesAreEnabled() {
    List<String> suites = ServerTls.load(certs.tls()).orElseThrow().context().cipherSuites();
    assertTrue(suites.contains("TLS_AES_128_GCM_SHA256") && suites.contains("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")
        && suites.contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), suites::toString);
    assertTrue(suites.contains("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"), suites::toString);
    for (String suite : suites) {
      boolean tls13 = suite.startsWith("TLS_AES_") || suite.startsWith("TLS_CHACHA20_");
      boolean ecdheAead = suite.startsWith("TLS_ECDHE_") && (suite.contains("_GCM_") || suite.contains("_CHACHA20_"));
      assertTrue(tls13 || ecdheAead, () -> suite + " is enabled: " + suites);
    }
  }

  @Test
  void oneFileWithoutTheOtherIsRefused() {
    assertMentions(refusal(tls(certs.certificate(), "")), "http.tls.key is not set", "both");
    assertMentions(refusal(tls("", certs.key())), "http.tls.certificate is not set", "both");
  }

  @Test
  void missingFilesAreNamed() {
    Path nowhere = temp.resolve("nowhere.pem");
    assertMentions(refusal(tls(nowhere, certs.key())), "http.tls.certificate", nowhere.toString(), "no such file");
    assertMentions(refusal(tls(certs.certificate(), nowhere)), "http.tls.key", nowhere.toString(), "no such file");
  }

  @Test
  void garbageIsRefused() throws Exception {
    Path garbage = Files.writeString(temp.resolve("garbage.pem"), "this is not PEM at all\n");
    assertMentions(refusal(tls(certs.certificate(), garbage)), "http.tls.key", "no private key found",
        "BEGIN PRIVATE KEY", "openssl pkcs8");
    assertMentions(refusal(tls(garbage, certs.key())), "http.tls.certificate", "no certificate found");
    Path badBase64 = Files.writeString(temp.resolve("bad64.pem"),
        "-----BEGIN PRIVATE KEY-----\n!!!not base64!!!\n-----END PRIVATE KEY-----\n");
    assertMentions(refusal(tls(certs.certificate(), badBase64)), "http.tls.key", "base64");
    Path notAKey = Files.writeString(temp.resolve("notakey.pem"),
        "-----BEGIN PRIVATE KEY-----\nAAECAwQFBgcICQ==\n-----END PRIVATE KEY-----\n");
    assertMentions(refusal(tls(certs.certificate(), notAKey)), "http.tls.key", "not an RSA, EC or EdDSA key");
    // The certificate file given as the key, and the key as the certificate: both said plainly.
    assertMentions(refusal(tls(certs.certificate(), certs.certificate())), "http.tls.key", "no private key");
    assertMentions(refusal(tls(certs.key(), certs.key())), "http.tls.certificate", "no certificate found");
  }

  @Test
  void aKeyThatIsNotTheCertificatesIsRefused() {
    assertMentions(refusal(tls(certs.certificate(), certs.caKey())), "http.tls.key",
        "is not the key of the certificate");
  }

  @Test
  void encryptedKeysAreRefusedWithTheCommandThatDecryptsThem() {
    certs.openssl("pkcs8", "-topk8", "-in", "berth.key", "-passout", "pass:secret", "-out", "encrypted-pkcs8.key");
    certs.openssl("ec", "-in", "berth.key", "-aes128", "-passout", "pass:secret", "-out", "encrypted-sec1.key");
    for (String file : new String[] {"encrypted-pkcs8.key", "encrypted-sec1.key"}) {
      assertMentions(refusal(tls(certs.certificate(), certs.dir().resolve(file))), "http.tls.key", "encrypted",
          "openssl pkcs8 -topk8 -nocrypt");
    }
  }

  @Test
  void traditionalEcAndRsaKeysAreRead() {
    // "BEGIN EC PRIVATE KEY" (SEC1), as `openssl ecparam -genkey` writes it, EC PARAMETERS block first.
    certs.openssl("ecparam", "-name", "prime256v1", "-out", "params.pem");
    certs.openssl("ec", "-in", "berth.key", "-out", "sec1.key");
    assertLoads(certs.certificate(), concat("params.pem", "sec1.key", "sec1-with-params.key"));
    // "BEGIN RSA PRIVATE KEY" (PKCS#1), as OpenSSL 1.x's genrsa wrote it, with a certificate for it.
    certs.openssl("genrsa", "-traditional", "-out", "rsa.key", "2048");
    certs.openssl("req", "-x509", "-new", "-key", "rsa.key", "-subj", "/CN=localhost", "-days", "2", "-CA", "ca.crt",
        "-CAkey", "ca.key", "-out", "rsa.crt");
    assertLoads(certs.dir().resolve("rsa.crt"), certs.dir().resolve("rsa.key"));
    // And a traditional RSA key that is not the certificate's.
    assertMentions(refusal(tls(certs.certificate(), certs.dir().resolve("rsa.key"))), "is not the key");
  }

  @Test
  void aChainFileStartsWithTheServersCertificate() {
    assertLoads(concat("berth.crt", "ca.crt", "chain.crt"), certs.key());
    assertMentions(refusal(tls(concat("ca.crt", "berth.crt", "reversed.crt"), certs.key())),
        "the first certificate there must be the server's");
  }

  /** {@code first} then {@code second}, in a new file of {@link TestCertificates#dir}. */
  private static Path concat(String first, String second, String into) {
    try {
      Path dir = certs.dir();
      return Files.writeString(dir.resolve(into),
          Files.readString(dir.resolve(first)) + Files.readString(dir.resolve(second)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void assertLoads(Path certificate, Path key) {
    assertTrue(ServerTls.load(tls(certificate, key)).isPresent());
  }

  @Test
  void minimumVersionIsTls12OrTls13() {
    ServerConfig.Tls base = certs.tls();
    assertTrue(ServerTls.load(new ServerConfig.Tls(base.certificate(), base.key(), "tls1.3")).isPresent());
    assertMentions(refusal(new ServerConfig.Tls(base.certificate(), base.key(), "tls1.1")),
        "http.tls.minimumversion", "tls1.2 or tls1.3");
  }
}
