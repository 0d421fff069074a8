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

  /** A claim that marks refresh tokens, so one is never taken as an access token and the other way round. */
  static final String TOKEN_USE = "token_use";
  static final String REFRESH = "refresh";
  /** The refresh token's claim holding {@code Htpasswd.credentialVersion}: a new password ends old refresh tokens. */
  static final String CREDENTIAL = "credential";

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
    List<Map<String, Object>> access = new ArrayList<>();
    for (Access a : granted) {
      access.add(Map.of("type", a.type(), "name", a.name(), "actions", List.copyOf(a.actions())));
    }
    return sign(claims(subject == null ? "" : subject, service, ttl).claim("access", access).build());
  }

  /**
   * A refresh token: it grants nothing itself, but gets {@code subject} new access tokens without a password for
   * {@code lifetime}, as long as its password stays {@code credential} ({@code Htpasswd.credentialVersion}).
   */
  public String issueRefresh(String subject, String service, String credential, Duration lifetime) {
    return sign(claims(subject, service, lifetime).claim(TOKEN_USE, REFRESH).claim(CREDENTIAL, credential).build());
  }

  private JWTClaimsSet.Builder claims(String subject, String service, Duration ttl) {
    Instant now = clock.instant();
    return new JWTClaimsSet.Builder()
        .issuer(issuer)
        .subject(subject)
        .audience(service)
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(now.plus(ttl)))
        .jwtID(UUID.randomUUID().toString());
  }

  private String sign(JWTClaimsSet claims) {
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
