package io.berth.server.auth.token;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.berth.server.auth.Access;
import io.berth.server.auth.Authenticator;
import io.berth.server.auth.Caller;
import io.berth.server.auth.Denial;
import io.berth.server.auth.Grant;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The {@code token} mode: every request carries a bearer token from the token service (ours or an external one),
 * and may do what its {@code access} claim grants. Anything else is a 401 whose challenge names the realm, the
 * service and the scope the request needs, which is how clients know what token to fetch:
 * {@code Bearer realm="…",service="…",scope="repository:team/app:pull,push"}, with
 * {@code error="insufficient_scope"} when a valid token grants too little and {@code error="invalid_token"} when
 * the token is no good (expired, forged, for another service).
 */
public final class BearerAuthenticator implements Authenticator {
  /** The path of the built-in token endpoint, the realm when none is configured. */
  public static final String TOKEN_PATH = "/auth/token";

  private final TokenVerifier verifier;
  private final String realm;
  private final String service;
  private final Clock clock;
  /** Verified tokens, since every request of a push carries the same one and a signature check costs. */
  private final Cache<String, TokenVerifier.Verified> verified =
      Caffeine.newBuilder().expireAfterWrite(Duration.ofSeconds(30)).maximumSize(10_000).build();

  /** @param realm the token endpoint's URL, or empty for our own endpoint at the address the client used */
  public BearerAuthenticator(TokenVerifier verifier, String realm, String service, Clock clock) {
    this.verifier = verifier;
    this.realm = realm;
    this.service = service;
    this.clock = clock;
  }

  @Override
  public Grant authenticate(Caller caller, List<Access> required) {
    String authorization = caller.authorization();
    if (authorization == null) {
      throw challenge(caller, required, null, "sign in: fetch a token from the realm");
    }
    if (authorization.length() < 7 || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw challenge(caller, required, "invalid_token", "a bearer token is required");
    }
    TokenVerifier.Verified token = verify(authorization.substring(7).strip(), caller, required);
    Grant grant = access -> allows(token, access);
    for (Access access : required) {
      if (!grant.allows(access)) {
        throw challenge(caller, required, "insufficient_scope", "the token does not grant " + access.scope());
      }
    }
    return grant;
  }

  private TokenVerifier.Verified verify(String token, Caller caller, List<Access> required) {
    TokenVerifier.Verified cached = verified.getIfPresent(token);
    if (cached != null && cached.expires().plus(TokenVerifier.LEEWAY).isAfter(clock.instant())) {
      return cached;
    }
    try {
      TokenVerifier.Verified fresh = verifier.verify(token);
      verified.put(token, fresh);
      return fresh;
    } catch (TokenVerifier.InvalidToken e) {
      throw challenge(caller, required, "invalid_token", e.getMessage());
    }
  }

  /** Whether one of the token's grants covers {@code access}: same resource, every action ({@code *}: all). */
  private static boolean allows(TokenVerifier.Verified token, Access access) {
    for (Access granted : token.access()) {
      if (granted.type().equals(access.type()) && granted.name().equals(access.name())
          && (granted.actions().contains("*") || granted.actions().containsAll(access.actions()))) {
        return true;
      }
    }
    return false;
  }

  private Denial challenge(Caller caller, List<Access> required, String error, String detail) {
    StringBuilder value = new StringBuilder("Bearer realm=\"")
        .append(realm.isEmpty() ? caller.origin() + TOKEN_PATH : realm)
        .append("\",service=\"").append(service).append('"');
    if (!required.isEmpty()) {
      value.append(",scope=\"").append(required.stream().map(Access::scope).collect(Collectors.joining(" ")))
          .append('"');
    }
    if (error != null) {
      value.append(",error=\"").append(error).append('"');
    }
    return Denial.unauthorized(detail, value.toString());
  }
}
