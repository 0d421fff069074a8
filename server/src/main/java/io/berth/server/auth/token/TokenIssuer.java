package io.berth.server.auth.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.berth.server.auth.Access;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Makes the JWTs of the Docker token protocol: {@code iss}, {@code sub} (empty for anonymous), {@code aud} (the
 * service), {@code exp}, {@code nbf}, {@code iat}, {@code jti} and {@code access}, the grants, signed ES256 with
 * the key's id in the header.
 */
public final class TokenIssuer {
  /** Clients treat shorter lifetimes as 60 s anyway, and the protocol asks for no less. */
  public static final Duration MIN_LIFETIME = Duration.ofSeconds(60);

  private final SigningKey key;
  private final String issuer;
  private final Clock clock;

  public TokenIssuer(SigningKey key, String issuer, Clock clock) {
    this.key = key;
    this.issuer = issuer;
    this.clock = clock;
  }

  /** A token for {@code subject} (null: anonymous) granting exactly {@code granted} on {@code service}. */
  public String issue(String subject, String service, List<Access> granted, Duration lifetime) {
    Duration ttl = lifetime.compareTo(MIN_LIFETIME) < 0 ? MIN_LIFETIME : lifetime;
    Instant now = clock.instant();
    List<Map<String, Object>> access = new ArrayList<>();
    for (Access a : granted) {
      access.add(Map.of("type", a.type(), "name", a.name(), "actions", List.copyOf(a.actions())));
    }
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer(issuer)
        .subject(subject == null ? "" : subject)
        .audience(service)
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(now.plus(ttl)))
        .jwtID(UUID.randomUUID().toString())
        .claim("access", access)
        .build();
    SignedJWT jwt = new SignedJWT(
        new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).keyID(key.keyId()).build(), claims);
    try {
      jwt.sign(new ECDSASigner(key.privateKey()));
    } catch (JOSEException e) {
      throw new IllegalStateException("signing with our own key failed", e);
    }
    return jwt.serialize();
  }
}
