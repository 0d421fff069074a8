package io.berth.server.tls;

import static org.junit.jupiter.api.Assertions.fail;

import io.berth.server.config.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throwaway CA and a server certificate for localhost, 127.0.0.1 and ::1, made by {@code deploy/tls-certs.sh}
 * (the script the README gives teams, so the tests run the documented commands), plus the {@code openssl}
 * calls tests need for other key forms.
 *
 * @param ca the CA's certificate, the one clients trust
 * @param caKey the CA's key: not the server certificate's key, hence a key that does not match it
 */
public record TestCertificates(Path dir, Path ca, Path caKey, Path certificate, Path key) {
  private static final Path SCRIPT = Path.of("../deploy/tls-certs.sh").toAbsolutePath().normalize();

  /** Makes them in {@code dir} for the names (DNS names or IP addresses). */
  public static TestCertificates make(Path dir, String... names) {
    List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString(), dir.toString()));
    command.addAll(List.of(names));
    run(command, dir.getParent());
    return new TestCertificates(dir, dir.resolve("ca.crt"), dir.resolve("ca.key"), dir.resolve("berth.crt"),
        dir.resolve("berth.key"));
  }

  /** The {@code http.tls} options serving this certificate. */
  public ServerConfig.Tls tls() {
    return new ServerConfig.Tls(certificate.toString(), key.toString(), "tls1.2");
  }

  /** A client context that trusts this CA and nothing else. */
  public SSLContext trustingCa() throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(ca)) {
      trust.setCertificateEntry("berth-test-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  /** Runs {@code openssl} with these arguments in {@link #dir}, failing the test if it fails. */
  public void openssl(String... args) {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    run(command, dir);
  }

  private static void run(List<String> command, Path workDir) {
    try {
      Path output = Files.createTempFile("berth-openssl", ".out");
      try {
        Process p = new ProcessBuilder(command).directory(workDir.toFile())
            .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
          p.destroyForcibly();
          fail(String.join(" ", command) + " failed:\n" + Files.readString(output));
        }
      } finally {
        Files.deleteIfExists(output);
      }
    } catch (IOException e) {
      fail("cannot run " + command + " (openssl and bash are needed for the TLS tests): " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
