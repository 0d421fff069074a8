package io.berth.server.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.berth.oci.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code htpasswd} mode: HTTP basic sign-in against an htpasswd file, then the access rules.
 *
 * <ul>
 *   <li>A request without credentials is anonymous: it gets what the rules give anyone, and a 401 challenge for
 *       the rest. {@code /v2/} always asks for a sign-in, which is how {@code docker login} checks a password.
 *   <li>Wrong credentials are a 401, never a fall-back to anonymous; too many from one client are a 429.
 *   <li>A signed-in user asking for more than it may do gets 403 DENIED.
 * </ul>
 *
 * A verified password is remembered for a minute (as a salted hash), because every request of a push carries it
 * and bcrypt is slow on purpose. Passwords are never logged.
 */
public final class BasicAuthenticator implements Authenticator {
  private final Htpasswd htpasswd;
  private final AccessRules rules;
  private final String challenge;
  private final LoginThrottle throttle = new LoginThrottle();
  private final Cache<String, Boolean> verified =
      Caffeine.newBuilder().expireAfterWrite(Duration.ofMinutes(1)).maximumSize(10_000).build();
  private final byte[] pepper = new byte[32];

  public BasicAuthenticator(Htpasswd htpasswd, AccessRules rules, String realm) {
    this.htpasswd = htpasswd;
    this.rules = rules;
    this.challenge = "Basic realm=\"" + realm.replace("\"", "") + "\", charset=\"UTF-8\"";
    new SecureRandom().nextBytes(pepper);
  }

  @Override
  public Grant authenticate(String authorization, String client, List<Access> required) {
    Identity who = authorization == null ? Identity.ANONYMOUS : signIn(authorization, client);
    if (required.isEmpty() && who.anonymous()) {
      throw unauthorized("sign in to use this registry");
    }
    for (Access access : required) {
      Set<String> granted = rules.granted(access, who);
      if (!granted.containsAll(access.actions())) {
        if (who.anonymous()) {
          throw unauthorized("sign in for " + access.scope());
        }
        throw new Denial(ErrorCode.DENIED, 403, who.user() + " may not " + access.scope(), Map.of());
      }
    }
    return access -> rules.granted(access, who).containsAll(access.actions());
  }

  private Identity signIn(String authorization, String client) {
    if (throttle.blocked(client)) {
      throw new Denial(ErrorCode.TOOMANYREQUESTS, 429, "too many failed sign-ins; try again later",
          Map.of("Retry-After", String.valueOf(LoginThrottle.WINDOW.toSeconds())));
    }
    String[] credentials = basicCredentials(authorization);
    if (credentials == null) {
      throw unauthorized("malformed Authorization header");
    }
    String user = credentials[0];
    String password = credentials[1];
    String key = cacheKey(user, password);
    if (verified.getIfPresent(key) == null) {
      if (!htpasswd.verify(user, password)) {
        throttle.failed(client);
        throw unauthorized("invalid user name or password");
      }
      verified.put(key, Boolean.TRUE);
    }
    return rules.identify(user);
  }

  /** {@code [user, password]} of a {@code Basic} header, or null when it is not one. */
  static String[] basicCredentials(String authorization) {
    if (authorization.length() < 6 || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    try {
      String decoded = new String(Base64.getDecoder().decode(authorization.substring(6).strip()), StandardCharsets.UTF_8);
      int colon = decoded.indexOf(':');
      if (colon <= 0) {
        return null;
      }
      return new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
    } catch (IllegalArgumentException notBase64) {
      return null;
    }
  }

  private String cacheKey(String user, String password) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(pepper);
      sha.update(user.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(password.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private Denial unauthorized(String detail) {
    return new Denial(ErrorCode.UNAUTHORIZED, 401, detail, Map.of("WWW-Authenticate", challenge));
  }
}
