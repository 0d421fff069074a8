package io.berth.server.auth.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.berth.server.auth.Access;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a bearer token: signed ES256 by the trusted key (no other algorithm is even considered, so neither
 * {@code alg: none} nor an HMAC keyed with the public key gets through), from the expected issuer, for this
 * service, and within its lifetime (with a little leeway for clock skew). What it grants is its {@code access}
 * claim, nothing more.
 */
public final class TokenVerifier {
  static final Duration LEEWAY = Duration.ofSeconds(30);
  /** Longer than any token we would issue; protects against a huge header being parsed. */
  private static final int MAX_LENGTH = 8192;

  /** A verified token: who it is for and what it grants. */
  public record Verified(String subject, List<Access> access) {}

  /** Why a token was refused, for the {@code error_description} of the challenge. */
  public static final class InvalidToken extends Exception {
    InvalidToken(String reason) {
      super(reason, null, false, false);
    }
  }

  private final ECKey trusted;
  private final String issuer;
  private final String service;
  private final Clock clock;

  public TokenVerifier(ECKey trusted, String issuer, String service, Clock clock) {
    this.trusted = trusted.toPublicJWK();
    this.issuer = issuer;
    this.service = service;
    this.clock = clock;
  }

  public Verified verify(String token) throws InvalidToken {
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
    if (!JWSAlgorithm.ES256.equals(jwt.getHeader().getAlgorithm())) {
      throw new InvalidToken("unexpected algorithm " + jwt.getHeader().getAlgorithm());
    }
    try {
      if (!jwt.verify(new ECDSAVerifier(trusted))) {
        throw new InvalidToken("bad signature");
      }
    } catch (JOSEException e) {
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
    return new Verified(claims.getSubject(), access(claims));
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
