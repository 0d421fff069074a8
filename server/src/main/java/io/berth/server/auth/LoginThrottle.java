package io.berth.server.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts failed sign-ins per client address; past {@link #MAX_FAILURES} in a {@link #WINDOW}, that client is
 * answered 429 until the window passes, so passwords can't be guessed at bcrypt speed.
 */
final class LoginThrottle {
  static final int MAX_FAILURES = 10;
  static final Duration WINDOW = Duration.ofMinutes(1);

  private final Cache<String, AtomicInteger> failures =
      Caffeine.newBuilder().expireAfterWrite(WINDOW).maximumSize(100_000).build();

  boolean blocked(String client) {
    AtomicInteger count = failures.getIfPresent(client);
    return count != null && count.get() >= MAX_FAILURES;
  }

  void failed(String client) {
    failures.asMap().computeIfAbsent(client, c -> new AtomicInteger()).incrementAndGet();
  }
}
