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
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks a user name and password against the htpasswd file, for basic sign-in and for the token endpoint alike.
 *
 * <p>Too many failures from one client are a 429 for a while, so passwords can't be guessed at bcrypt speed. A
 * verified password is remembered for a minute (as a peppered hash, never in clear), because every request of a
 * push may carry it and bcrypt is slow on purpose; the memory is tied to the user's current hash, so a changed
 * password or a removed user is refused at once. Passwords are never logged.
 */
public final class SignIn {
  private final Htpasswd htpasswd;
  private final AccessRules rules;
  private final String challenge;
  private final LoginThrottle throttle = new LoginThrottle();
  private final Cache<String, Boolean> verified =
      Caffeine.newBuilder().expireAfterWrite(Duration.ofMinutes(1)).maximumSize(10_000).build();
  /**
   * Checks in progress, by the key of {@link #verified}: the parallel requests of a push (or a CI farm behind one
   * address) send the same credentials at once, and take one bcrypt check and one attempt between them.
   */
  private final ConcurrentHashMap<String, CompletableFuture<Void>> checking = new ConcurrentHashMap<>();
  private final byte[] pepper = new byte[32];

  /** @param realm the realm of the {@code Basic} challenge a 401 for wrong credentials carries */
  public SignIn(Htpasswd htpasswd, AccessRules rules, String realm) {
    this.htpasswd = htpasswd;
    this.rules = rules;
    this.challenge = basicChallenge(realm);
    new SecureRandom().nextBytes(pepper);
  }

  /** The identity of a {@code Basic} {@code Authorization} header; a 401 when it is malformed or wrong. */
  public Identity basic(String authorization, String client) {
    String[] credentials = basicCredentials(authorization);
    if (credentials == null) {
      throttled(client);
      throw Denial.unauthorized("malformed Authorization header", challenge);
    }
    return password(credentials[0], credentials[1], client);
  }

  /** The identity of a user name and password; a 401 when they are wrong, a 429 after too many failures. */
  public Identity password(String user, String password, String client) {
    throttled(client);
    // The user's current hash is part of the key: a password change or a removal ends what was remembered.
    String key = cacheKey(user, password, htpasswd.credentialVersion(user).orElse(""));
    if (verified.getIfPresent(key) == null) {
      check(key, user, password, client);
    }
    return rules.identify(user);
  }

  /**
   * Checks a password not remembered, taking one of the client's attempts for it; requests carrying the same
   * credentials meanwhile wait for this check and share its outcome.
   */
  private void check(String key, String user, String password, String client) {
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> running = checking.putIfAbsent(key, mine);
    if (running != null) {
      try {
        running.join();
        return;
      } catch (CompletionException e) {
        throw e.getCause() instanceof Denial d ? d : e;
      }
    }
    try {
      if (!throttle.tryAttempt(client)) {
        throw tooMany();
      }
      if (!htpasswd.verify(user, password)) {
        throw Denial.unauthorized("invalid user name or password", challenge); // the attempt stays counted
      }
      throttle.succeeded(client);
      verified.put(key, Boolean.TRUE);
      mine.complete(null);
    } catch (RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      checking.remove(key, mine);
    }
  }

  /** The {@code WWW-Authenticate} value that asks for a user name and password. */
  public static String basicChallenge(String realm) {
    return "Basic realm=\"" + realm.replace("\"", "") + "\", charset=\"UTF-8\"";
  }

  /** The {@code WWW-Authenticate} value of this sign-in's 401s. */
  public String challenge() {
    return challenge;
  }

  /** The access rules, for what the identities this returns may do. */
  public AccessRules rules() {
    return rules;
  }

  /**
   * Refuses a throttled client before anything else, the remembered passwords included: else a client past its
   * failures could go on guessing without bcrypt's cost, and learn the right password when it is remembered.
   */
  private void throttled(String client) {
    if (throttle.blocked(client)) {
      throw tooMany();
    }
  }

  private static Denial tooMany() {
    return new Denial(ErrorCode.TOOMANYREQUESTS, 429, "too many failed sign-ins; try again later",
        Map.of("Retry-After", String.valueOf(LoginThrottle.WINDOW.toSeconds())));
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

  private String cacheKey(String user, String password, String credential) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(pepper);
      for (String part : new String[] {user, password, credential}) {
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        // length-prefixed, so no two (user, password) pairs share a key, whatever bytes they hold
        sha.update(java.nio.ByteBuffer.allocate(4).putInt(bytes.length).array());
        sha.update(bytes);
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
