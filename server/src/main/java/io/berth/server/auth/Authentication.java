package io.berth.server.auth;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import io.berth.server.auth.token.BearerAuthenticator;
import io.berth.server.auth.token.SigningKey;
import io.berth.server.auth.token.TokenIssuer;
import io.berth.server.auth.token.TokenService;
import io.berth.server.auth.token.TokenVerifier;
import io.berth.server.config.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The authentication a configuration asks for: how requests are checked, and the built-in token service when
 * this registry issues tokens itself.
 */
public record Authentication(Authenticator authenticator, Optional<TokenService> tokenService) {

  public static Authentication from(ServerConfig.Auth auth, Clock clock) throws IOException {
    for (String value : new String[] {auth.realm(), auth.token().realm(), auth.token().service()}) {
      if (value.contains("\"") || value.contains("\\") || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        // these go inside quoted strings of WWW-Authenticate challenges
        throw new IllegalArgumentException("auth.realm, auth.token.realm and auth.token.service may not hold"
            + " quotes, backslashes or control characters: " + value);
      }
    }
    return switch (auth.mode()) {
      case "none" -> new Authentication(Authenticator.OPEN, Optional.empty());
      case "htpasswd" -> new Authentication(new BasicAuthenticator(signIn(auth), auth.realm()), Optional.empty());
      case "token" -> auth.token().external() ? external(auth.token(), clock) : builtIn(auth, clock);
      default -> throw new IllegalArgumentException("auth.mode must be none, htpasswd or token, not " + auth.mode());
    };
  }

  private static SignIn signIn(ServerConfig.Auth auth) throws IOException {
    return new SignIn(Htpasswd.load(Path.of(auth.htpasswd().path())), AccessRules.of(auth), auth.realm());
  }

  private static Authentication builtIn(ServerConfig.Auth auth, Clock clock) throws IOException {
    ServerConfig.Token token = auth.token();
    SigningKey key = SigningKey.loadOrCreate(Path.of(token.key()));
    TokenVerifier verifier = new TokenVerifier(key.publicKey(), token.issuer(), token.service(), clock);
    Htpasswd htpasswd = Htpasswd.load(Path.of(auth.htpasswd().path()));
    TokenService service = new TokenService(new SignIn(htpasswd, AccessRules.of(auth), auth.realm()), htpasswd,
        new TokenIssuer(key, token.issuer(), clock), verifier, token.service(),
        Duration.ofSeconds(token.expiration()), Duration.ofHours(token.refreshexpiration()), clock);
    return new Authentication(new BearerAuthenticator(verifier, token.realm(), token.service(), clock),
        Optional.of(service));
  }

  /** Another token service issues the tokens; we verify them with its published keys or certificates. */
  private static Authentication external(ServerConfig.Token token, Clock clock) throws IOException {
    if (token.realm().isEmpty()) {
      throw new IllegalArgumentException("auth.token.realm must name the external token service's URL");
    }
    List<JWK> keys = new ArrayList<>();
    List<X509Certificate> roots = new ArrayList<>();
    if (!token.jwks().isEmpty()) {
      try {
        keys.addAll(JWKSet.load(Path.of(token.jwks()).toFile()).getKeys());
      } catch (ParseException e) {
        throw new IllegalArgumentException(token.jwks() + ": not a JWK set: " + e.getMessage(), e);
      }
    }
    if (!token.rootcertbundle().isEmpty()) {
      roots.addAll(certificates(Path.of(token.rootcertbundle())));
      for (X509Certificate root : roots) {
        keys.add(publicKey(root, Path.of(token.rootcertbundle())));
      }
    }
    TokenVerifier verifier = new TokenVerifier(keys, roots, token.issuer(), token.service(), clock);
    return new Authentication(new BearerAuthenticator(verifier, token.realm(), token.service(), clock),
        Optional.empty());
  }

  private static List<X509Certificate> certificates(Path bundle) throws IOException {
    List<X509Certificate> certificates = new ArrayList<>();
    try (InputStream in = Files.newInputStream(bundle)) {
      for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        certificates.add((X509Certificate) certificate);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(bundle + ": not PEM certificates: " + e.getMessage(), e);
    }
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException(bundle + ": no certificates");
    }
    return certificates;
  }

  /**
   * A certificate's public key as a JWK. Not {@code JWK.parse(X509Certificate)}: for an EC certificate it needs
   * BouncyCastle, which we don't ship, and failed with {@code NoClassDefFoundError} at startup.
   */
  private static JWK publicKey(X509Certificate certificate, Path bundle) {
    String subject = certificate.getSubjectX500Principal().getName();
    if (certificate.getPublicKey() instanceof RSAPublicKey rsa) {
      return new RSAKey.Builder(rsa).build();
    }
    if (certificate.getPublicKey() instanceof ECPublicKey ec) {
      Curve curve = Curve.forECParameterSpec(ec.getParams());
      if (curve == null) {
        throw new IllegalArgumentException(bundle + ": the EC curve of " + subject + " is not one JWTs use");
      }
      return new ECKey.Builder(curve, ec).build();
    }
    throw new IllegalArgumentException(bundle + ": the key of " + subject + " is neither RSA nor EC");
  }
}
