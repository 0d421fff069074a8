package io.berth.server.tls;

import io.berth.server.config.ServerConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * The certificate and key of {@code http.tls}, read and checked at start, as the Netty context of the HTTPS
 * listener: JDK provider (no native library), HTTP/1.1 only (no ALPN). Every mistake is reported before Berth
 * listens, naming the option and what to do: one file without the other, a file that can't be read, a key that
 * isn't the certificate's.
 */
public final class ServerTls {
  /**
   * distribution's default suites: forward secrecy and AEAD only. Netty's defaults add CBC-SHA1 suites and static
   * RSA key exchange (which only recent JDKs' security policy turns off). Suites the JDK lacks are left out.
   */
  private static final List<String> CIPHER_SUITES = List.of(
      "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  private static final String REJECT_RENEGOTIATION = "jdk.tls.rejectClientInitiatedRenegotiation";

  private final SslContext context;
  private final X509Certificate certificate;

  private ServerTls(SslContext context, X509Certificate certificate) {
    this.context = context;
    this.certificate = certificate;
  }

  /** The HTTPS setup the configuration asks for; empty when both files are unset. */
  public static Optional<ServerTls> load(ServerConfig.Tls config) {
    if (!config.configured()) {
      return Optional.empty();
    }
    if (config.certificate().isBlank() || config.key().isBlank()) {
      String missing = config.certificate().isBlank() ? "http.tls.certificate" : "http.tls.key";
      throw new IllegalArgumentException("HTTPS needs both http.tls.certificate and http.tls.key, and "
          + missing + " is not set (set neither for plain HTTP)");
    }
    String[] protocols = protocols(config.minimumversion());
    List<X509Certificate> chain = certificates(Path.of(config.certificate()));
    String keyText = read("http.tls.key", Path.of(config.key()));
    PrivateKey key;
    try {
      key = PrivateKeys.of(Pem.blocks(keyText));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("http.tls.key " + config.key() + ": " + e.getMessage());
    }
    if (!belongTogether(key, chain.getFirst().getPublicKey())) {
      throw new IllegalArgumentException("http.tls.key " + config.key() + " is not the key of the certificate in "
          + "http.tls.certificate " + config.certificate() + " (the first certificate there must be the server's)");
    }
    refuseClientRenegotiation();
    try {
      SslContext context = SslContextBuilder.forServer(key, chain)
          .sslProvider(SslProvider.JDK)
          .protocols(protocols)
          .ciphers(CIPHER_SUITES, SupportedCipherSuiteFilter.INSTANCE)
          .build();
      return Optional.of(new ServerTls(context, chain.getFirst()));
    } catch (SSLException e) {
      throw new IllegalArgumentException("http.tls: " + e.getMessage(), e);
    }
  }

  public SslContext context() {
    return context;
  }

  /** The served certificate: whom it names, and until when it is valid. */
  public X509Certificate certificate() {
    return certificate;
  }

  private static List<X509Certificate> certificates(Path file) {
    String text = read("http.tls.certificate", file);
    List<X509Certificate> chain = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (Pem.Block block : Pem.blocks(text)) {
        if (block.type().equals("CERTIFICATE")) {
          chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.der())));
        }
      }
    } catch (CertificateException | IllegalArgumentException e) {
      throw new IllegalArgumentException("http.tls.certificate " + file + ": not a valid certificate ("
          + e.getMessage() + ")");
    }
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("http.tls.certificate " + file
          + ": no certificate found; expected PEM blocks -----BEGIN CERTIFICATE-----");
    }
    return chain;
  }

  private static String read(String option, Path file) {
    try {
      return Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(option + " " + file + ": no such file");
    } catch (AccessDeniedException e) {
      throw new IllegalArgumentException(option + " " + file + ": permission denied");
    } catch (IOException e) {
      throw new IllegalArgumentException(option + " " + file + ": cannot read it (" + e + ")");
    }
  }

  /**
   * Refuses TLS 1.2 handshakes a client starts on an established connection: each costs us a signature (a cheap
   * way to burn our CPU), and no registry client needs them; Go's servers, distribution's, refuse them too. The
   * JDK only has a system property for it, read once, at the JVM's first server handshake: so it is set before
   * any, unless the operator set it.
   */
  private static void refuseClientRenegotiation() {
    if (System.getProperty(REJECT_RENEGOTIATION) == null) {
      System.setProperty(REJECT_RENEGOTIATION, "true");
    }
  }

  /** Whether {@code key} signs what {@code publicKey} verifies: the one test that works for every key type. */
  private static boolean belongTogether(PrivateKey key, PublicKey publicKey) {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
      default -> null;
    };
    if (algorithm == null) {
      return true; // a rare key type (RSASSA-PSS): the handshake will tell
    }
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException | IllegalArgumentException differentKinds) {
      return false; // an RSA key with an EC certificate, say
    }
  }

  private static String[] protocols(String minimum) {
    return switch (minimum.toLowerCase(Locale.ROOT)) {
      case "tls1.2" -> new String[] {"TLSv1.3", "TLSv1.2"};
      case "tls1.3" -> new String[] {"TLSv1.3"};
      default -> throw new IllegalArgumentException(
          "http.tls.minimumversion must be tls1.2 or tls1.3, not " + minimum);
    };
  }
}
