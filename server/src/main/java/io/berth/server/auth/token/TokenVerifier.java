package io.berth.server.auth.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.berth.server.auth.Access;
import java.security.Key;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks a bearer token: signed by a trusted public key with an asymmetric algorithm (HMAC and {@code none} are
 * never considered, so neither {@code alg: none} nor an HMAC keyed with the public key gets through), from the
 * expected issuer, for this service, and within its lifetime (with a little leeway for clock skew). What it
 * grants is its {@code access} claim, nothing more.
 *
 * <p>Every trusted key that fits the token's algorithm is tried, whatever the token's {@code kid}: issuers write
 * key ids in several formats (RFC 7638 thumbprints, libtrust fingerprints), and the signature is what counts. With
 * root certificates, a token may instead carry its signing certificate's chain ({@code x5c}, as distribution
 * allows): then it must be signed by that leaf, and the chain must lead to one of the roots.
 */
public final class TokenVerifier {
  static final Duration LEEWAY = Duration.ofSeconds(30);
  /** Longer than any sane token; protects against a huge header being parsed. */
  private static final int MAX_LENGTH = 8192;
  private static final Set<JWSAlgorithm> ASYMMETRIC = union(JWSAlgorithm.Family.EC, JWSAlgorithm.Family.RSA);

  /** A verified access token: who it is for, what it grants, and until when. */
  public record Verified(String subject, List<Access> access, Instant expires) {}

  /** A verified refresh token: who it is for, and the version of the password it was issued under. */
  public record Refresh(String subject, String credential) {}

  /** Why a token was refused, for the {@code error_description} of the challenge. */
  public static final class InvalidToken extends Exception {
    InvalidToken(String reason) {
      super(reason, null, false, false);
    }
  }

  private final List<JWK> trusted;
  private final CertificateChains chains;
  private final String issuer;
  private final String service;
  private final Clock clock;

  /**
   * @param trusted public keys; private parts, if any, are dropped
   * @param roots certificates a token's {@code x5c} chain may lead to
   */
  public TokenVerifier(List<? extends JWK> trusted, List<X509Certificate> roots, String issuer, String service,
      Clock clock) {
    this.trusted = trusted.stream().map(JWK::toPublicJWK).filter(Objects::nonNull).map(k -> (JWK) k).toList();
    if (this.trusted.isEmpty()) {
      throw new IllegalArgumentException("no public key to verify tokens with");
    }
    this.chains = new CertificateChains(roots);
    this.issuer = issuer;
    this.service = service;
    this.clock = clock;
  }

  public TokenVerifier(ECKey trusted, String issuer, String service, Clock clock) {
    this(List.of(trusted), List.of(), issuer, service, clock);
  }

  /** Checks an access token, as sent in {@code Authorization: Bearer}. */
  public Verified verify(String token) throws InvalidToken {
    JWTClaimsSet claims = verifiedClaims(token);
    if (claims.getClaim(TokenIssuer.TOKEN_USE) != null) {
      throw new InvalidToken("not an access token");
    }
    return new Verified(claims.getSubject(), access(claims), claims.getExpirationTime().toInstant());
  }

  /** Checks a refresh token: who it is for, and the password version it was issued under. */
  Refresh verifyRefresh(String token) throws InvalidToken {
    JWTClaimsSet claims = verifiedClaims(token);
    if (!TokenIssuer.REFRESH.equals(claims.getClaim(TokenIssuer.TOKEN_USE)) || claims.getSubject() == null || claims.getSubject().isEmpty()
        || !(claims.getClaim(TokenIssuer.CREDENTIAL) instanceof String credential)) {
      throw new InvalidToken("not a refresh token");
    }
    return new Refresh(claims.getSubject(), credential);
  }

  private JWTClaimsSet verifiedClaims(String token) throws InvalidToken {
    if (token == null || token.isEmpty() || token.length() > MAX_LENGTH) {
      throw new InvalidToken("malformed token");
    }
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(token);
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new InvalidToken("malformed token");
    }
    JWSAlgorithm algorithm = jwt.getHeader().getAlgorithm();
    if (!ASYMMETRIC.contains(algorithm)) {
      throw new InvalidToken("unexpected algorithm " + algorithm);
    }
    if (!signedByTrustedKey(jwt, algorithm)) {
      throw new InvalidToken("bad signature");
    }
    if (!issuer.equals(claims.getIssuer())) {
      throw new InvalidToken("token from another issuer");
    }
    if (claims.getAudience() == null || !claims.getAudience().contains(service)) {
      throw new InvalidToken("token for another service");
    }
    Instant now = clock.instant();
    Date exp = claims.getExpirationTime();
    if (exp == null || exp.toInstant().plus(LEEWAY).isBefore(now)) {
      throw new InvalidToken("token expired");
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && nbf.toInstant().minus(LEEWAY).isAfter(now)) {
      throw new InvalidToken("token not valid yet");
    }
    return claims;
  }

  private boolean signedByTrustedKey(SignedJWT jwt, JWSAlgorithm algorithm) throws InvalidToken {
    KeyType type = KeyType.forAlgorithm(algorithm);
    DefaultJWSVerifierFactory verifiers = new DefaultJWSVerifierFactory();
    List<com.nimbusds.jose.util.Base64> x5c = jwt.getHeader().getX509CertChain();
    if (chains.any() && x5c != null && !x5c.isEmpty()) {
      Key leaf = chains.verifiedLeafKey(x5c).orElseThrow(() -> new InvalidToken("untrusted certificate chain"));
      try {
        return jwt.verify(verifiers.createJWSVerifier(jwt.getHeader(), leaf));
      } catch (JOSEException | RuntimeException wrongKey) {
        return false;
      }
    }
    String kid = jwt.getHeader().getKeyID();
    // The key the token names first, so a large key set costs one check for honest tokens.
    List<JWK> ordered = kid == null ? trusted : java.util.stream.Stream.concat(
        trusted.stream().filter(k -> kid.equals(k.getKeyID())),
        trusted.stream().filter(k -> !kid.equals(k.getKeyID()))).toList();
    for (JWK key : ordered) {
      if (!key.getKeyType().equals(type) || !(key instanceof AsymmetricJWK asymmetric)) {
        continue;
      }
      try {
        Key publicKey = asymmetric.toPublicKey();
        JWSVerifier verifier = verifiers.createJWSVerifier(jwt.getHeader(), publicKey);
        if (jwt.verify(verifier)) {
          return true;
        }
      } catch (JOSEException | RuntimeException wrongKeyOrCurve) {
        // try the next key
      }
    }
    return false;
  }

  private static Set<JWSAlgorithm> union(Set<JWSAlgorithm> a, Set<JWSAlgorithm> b) {
    Set<JWSAlgorithm> all = new HashSet<>(a);
    all.addAll(b);
    return Set.copyOf(all);
  }

  private static List<Access> access(JWTClaimsSet claims) throws InvalidToken {
    Object raw = claims.getClaim("access");
    List<Access> out = new ArrayList<>();
    if (raw == null) {
      return out;
    }
    if (!(raw instanceof List<?> entries)) {
      throw new InvalidToken("malformed access claim");
    }
    for (Object entry : entries) {
      if (!(entry instanceof Map<?, ?> m) || !(m.get("type") instanceof String type)
          || !(m.get("name") instanceof String name) || !(m.get("actions") instanceof List<?> actions)) {
        throw new InvalidToken("malformed access claim");
      }
      Set<String> names = new HashSet<>();
      for (Object action : actions) {
        if (!(action instanceof String s)) {
          throw new InvalidToken("malformed access claim");
        }
        names.add(s);
      }
      out.add(new Access(type, name, names));
    }
    return out;
  }
}
