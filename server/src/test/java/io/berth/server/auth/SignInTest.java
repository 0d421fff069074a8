package io.berth.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.oci.ErrorCode;
import io.berth.server.config.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sign-in as the token endpoint and basic sign-in share it: the throttle, whatever the concurrency. */
class SignInTest {
  @TempDir
  Path dir;

  /**
   * Requests come in on virtual threads, as many at once as a client opens connections: the throttle must count
   * a guess before its (slow) bcrypt check, or a client sending a few hundred guesses at once has them all checked
   * before the first failure is counted.
   */
  @Test
  void concurrentGuessesFromOneClientGetNoMoreChecksThanTheThrottleAllows() throws Exception {
    Path file = Files.writeString(dir.resolve("htpasswd"), HtpasswdTest.ALICE + "\n");
    AtomicInteger checks = new AtomicInteger();
    Htpasswd htpasswd = Htpasswd.load(file, (password, hash) -> {
      checks.incrementAndGet();
      try {
        Thread.sleep(200); // bcrypt is slow on purpose
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return false;
    });
    SignIn signIn = new SignIn(htpasswd, AccessRules.of(ServerConfig.DEFAULTS.auth()), "berth");
    List<Callable<ErrorCode>> guesses = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      String guess = "guess" + i;
      guesses.add(() -> {
        try {
          signIn.password("alice", guess, "192.0.2.7");
          return null;
        } catch (Denial d) {
          return d.code();
        }
      });
    }
    Map<ErrorCode, Integer> outcomes = new java.util.EnumMap<>(ErrorCode.class);
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (Future<ErrorCode> f : threads.invokeAll(guesses)) {
        outcomes.merge(f.get(), 1, Integer::sum);
      }
    }
    assertTrue(checks.get() <= LoginThrottle.MAX_FAILURES,
        checks.get() + " passwords checked, more than the " + LoginThrottle.MAX_FAILURES + " a window allows");
    assertEquals(checks.get(), outcomes.getOrDefault(ErrorCode.UNAUTHORIZED, 0), outcomes::toString);
    assertEquals(200 - checks.get(), outcomes.getOrDefault(ErrorCode.TOOMANYREQUESTS, 0), outcomes::toString);
  }

  /**
   * A push's parallel requests, or a CI farm behind one address, send the same credentials at once before any is
   * remembered: they wait for one check, so they neither run into the throttle nor take a bcrypt each.
   */
  @Test
  void theSameCredentialsSentManyTimesAtOnceAreCheckedOnce() throws Exception {
    Path file = Files.writeString(dir.resolve("htpasswd"), HtpasswdTest.ALICE + "\n");
    AtomicInteger checks = new AtomicInteger();
    Htpasswd htpasswd = Htpasswd.load(file, (password, hash) -> {
      checks.incrementAndGet();
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return new String(password).equals("right");
    });
    SignIn signIn = new SignIn(htpasswd, AccessRules.of(ServerConfig.DEFAULTS.auth()), "berth");
    List<Callable<String>> requests = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      requests.add(() -> signIn.password("alice", "right", "192.0.2.9").user());
    }
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (Future<String> f : threads.invokeAll(requests)) {
        assertEquals("alice", f.get());
      }
    }
    assertEquals(1, checks.get(), "one bcrypt check for them all");
  }

  @Test
  void theRightPasswordFreesItsAttemptSoOnlyFailuresCount() throws Exception {
    Path file = Files.writeString(dir.resolve("htpasswd"), HtpasswdTest.ALICE + "\n");
    SignIn signIn = new SignIn(Htpasswd.load(file, (password, hash) -> new String(password).equals("right")),
        AccessRules.of(ServerConfig.DEFAULTS.auth()), "berth");
    for (int i = 0; i < LoginThrottle.MAX_FAILURES * 3; i++) {
      assertEquals("alice", signIn.password("alice", "right", "192.0.2.8").user());
      assertEquals("alice", signIn.password("alice", "right" , "192.0.2.8").user());
    }
    for (int i = 0; i < LoginThrottle.MAX_FAILURES - 1; i++) {
      assertEquals(ErrorCode.UNAUTHORIZED, refusal(signIn, "wrong" + i));
    }
    assertEquals("alice", signIn.password("alice", "right", "192.0.2.8").user(), "one failure short of the limit");
    assertEquals(ErrorCode.UNAUTHORIZED, refusal(signIn, "wrong"));
    assertEquals(ErrorCode.TOOMANYREQUESTS, refusal(signIn, "right"));
  }

  private static ErrorCode refusal(SignIn signIn, String password) {
    try {
      signIn.password("alice", password, "192.0.2.8");
      return null;
    } catch (Denial d) {
      return d.code();
    }
  }
}
