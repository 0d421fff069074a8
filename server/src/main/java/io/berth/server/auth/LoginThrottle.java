package io.berth.server.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts failed sign-ins per client address; past {@link #MAX_FAILURES} in a {@link #WINDOW}, that client is
 * answered 429 until the window passes, so passwords can't be guessed at bcrypt speed.
 *
 * <p>A password check counts as a failure from the moment it starts ({@link #tryAttempt}) and is given back if it
 * succeeds: requests run concurrently, and counting only once bcrypt has said no would let a client that sends
 * hundreds of guesses at once have them all checked before the first failure is counted.
 */
final class LoginThrottle {
  static final int MAX_FAILURES = 10;
  static final Duration WINDOW = Duration.ofMinutes(1);

  /** Failures and checks in progress, per client; the window starts at the first. */
  private final Cache<String, AtomicInteger> failures =
      Caffeine.newBuilder().expireAfterWrite(WINDOW).maximumSize(100_000).build();

  boolean blocked(String client) {
    AtomicInteger count = failures.getIfPresent(client);
    return count != null && count.get() >= MAX_FAILURES;
  }

  /** Takes one of the client's attempts for a password check; false when it has none left. */
  boolean tryAttempt(String client) {
    AtomicInteger count = failures.get(client, c -> new AtomicInteger());
    int n;
    do {
      n = count.get();
      if (n >= MAX_FAILURES) {
        return false;
      }
    } while (!count.compareAndSet(n, n + 1));
    return true;
  }

  /** The check {@link #tryAttempt} was taken for succeeded: it was no failure. */
  void succeeded(String client) {
    AtomicInteger count = failures.getIfPresent(client);
    if (count != null) {
      count.updateAndGet(n -> Math.max(0, n - 1));
    }
  }
}
