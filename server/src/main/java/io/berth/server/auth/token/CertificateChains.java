package io.berth.server.auth.token;

import com.nimbusds.jose.util.Base64;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks a token's {@code x5c} certificate chain against the configured root certificates (PKIX path validation,
 * without revocation checks, as distribution does), and gives the leaf's key to verify the signature with.
 */
final class CertificateChains {
  /** A chain longer than this is not one a token service sends. */
  private static final int MAX_CHAIN = 5;

  private final Set<TrustAnchor> anchors;

  CertificateChains(List<X509Certificate> roots) {
    this.anchors = roots.stream().map(root -> new TrustAnchor(root, null)).collect(Collectors.toUnmodifiableSet());
  }

  boolean any() {
    return !anchors.isEmpty();
  }

  /** The leaf certificate's public key, when the chain (leaf first) leads to a root; else empty. */
  Optional<Key> verifiedLeafKey(List<Base64> x5c) {
    if (x5c.size() > MAX_CHAIN) {
      return Optional.empty();
    }
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      List<X509Certificate> chain = new ArrayList<>();
      for (Base64 der : x5c) {
        chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der.decode())));
      }
      CertPath path = factory.generateCertPath(chain);
      PKIXParameters parameters = new PKIXParameters(anchors);
      parameters.setRevocationEnabled(false);
      CertPathValidator.getInstance("PKIX").validate(path, parameters);
      return Optional.of(chain.get(0).getPublicKey());
    } catch (GeneralSecurityException | RuntimeException untrusted) {
      return Optional.empty();
    }
  }
}
