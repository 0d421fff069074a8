package io.berth.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtpasswdTest {
  /** Written by Apache's own {@code htpasswd -nbB -C 5 alice 's3cret pass'}. */
  static final String ALICE = "alice:$2y$05$8osk5nO9IgU3moz4OF88XugPSGUY3.kdT/mePSIV3DHEZBQ1pQOIO";

  @TempDir
  Path dir;

  @Test
  void readsWhatApacheHtpasswdWrites() throws IOException {
    Path file = Files.writeString(dir.resolve("htpasswd"), ALICE + "\n# a comment\n\nmd5user:$apr1$abc$def\n");
    Htpasswd htpasswd = Htpasswd.load(file);
    assertEquals(1, htpasswd.users(), "the MD5 user is refused: too weak to keep");
    assertTrue(htpasswd.verify("alice", "s3cret pass"));
    assertFalse(htpasswd.verify("alice", "s3cret pas"));
    assertFalse(htpasswd.verify("alice", ""));
    assertFalse(htpasswd.verify("nobody", "s3cret pass"));
    assertFalse(htpasswd.verify("md5user", "anything"));
  }

  /**
   * bcrypt reads the first 72 bytes of a password. Apache's {@code htpasswd -B} takes a longer one and hashes those
   * (this line is its {@code htpasswd -nbB -C 5 bob} with 80 x's), as Go's bcrypt, distribution's, checks them:
   * the user signs in with the password it was given, all 80 bytes.
   */
  @Test
  void aPasswordLongerThanBcryptReadsIsCheckedOnItsFirst72BytesAsApacheAndGoDo() throws IOException {
    Path file = Files.writeString(dir.resolve("htpasswd"),
        "bob:$2y$05$g8KxnsBtgQNggJh.G4XE4eeEj9NQVJ0cOAIqsgaASrXEbCgmzOEQ.\n");
    Htpasswd htpasswd = Htpasswd.load(file);
    assertTrue(htpasswd.verify("bob", "x".repeat(80)));
    assertTrue(htpasswd.verify("bob", "x".repeat(72)), "what bcrypt reads of it");
    assertFalse(htpasswd.verify("bob", "x".repeat(71)));
    assertFalse(htpasswd.verify("nobody", "x".repeat(80)));
  }

  /** {@code berth htpasswd} says so instead of hashing a part of a password silently (or failing with a trace). */
  @Test
  void setPasswordRefusesAPasswordLongerThanBcryptReads() throws IOException {
    Path file = dir.resolve("htpasswd");
    Htpasswd.setPassword(file, "carol", "é".repeat(36).toCharArray()); // 72 bytes in UTF-8
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Htpasswd.setPassword(file, "dave", "é".repeat(37).toCharArray()));
    assertTrue(e.getMessage().contains("72 bytes"), e.getMessage());
    assertTrue(Htpasswd.load(file).verify("carol", "é".repeat(36)));
    assertEquals(1, Files.readAllLines(file).size(), "dave was not added");
  }

  @Test
  void setPasswordAddsAndChangesUsersAndIsReadAgainWithoutRestart() throws IOException {
    Path file = Files.writeString(dir.resolve("htpasswd"), ALICE + "\n");
    Htpasswd htpasswd = Htpasswd.load(file);
    Htpasswd.setPassword(file, "bob", "hunter2".toCharArray());
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5))); // a distinct mtime, whatever the clock
    assertTrue(htpasswd.verify("bob", "hunter2"), "picked up without a restart");
    assertTrue(htpasswd.verify("alice", "s3cret pass"), "others kept");

    Htpasswd.setPassword(file, "alice", "new one".toCharArray());
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(10)));
    assertTrue(htpasswd.verify("alice", "new one"));
    assertFalse(htpasswd.verify("alice", "s3cret pass"));
    assertEquals(2, Files.readAllLines(file).size());
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
  }

  @Test
  void anUnknownUserIsCheckedWithBcryptAtTheFilesCostLikeAWrongPassword() throws IOException {
    Path file = Files.writeString(dir.resolve("htpasswd"), ALICE + "\n");
    List<String> checked = new ArrayList<>();
    Htpasswd htpasswd = Htpasswd.load(file, (password, hash) -> {
      checked.add(hash);
      return Htpasswd.BCRYPT.matches(password, hash); // the real check, so a malformed dummy hash would throw
    });
    assertFalse(htpasswd.verify("alice", "wrong"));
    assertFalse(htpasswd.verify("nobody", "s3cret pass"));
    assertFalse(htpasswd.verify("", ""));
    assertTrue(htpasswd.verify("alice", "s3cret pass"));
    assertEquals(4, checked.size(), "one bcrypt verification per call, whether the user exists or not");
    String aliceHash = ALICE.substring("alice:".length());
    assertEquals(aliceHash, checked.get(0));
    assertEquals(aliceHash, checked.get(3));
    for (String dummy : checked.subList(1, 3)) {
      assertTrue(dummy.startsWith("$2y$05$") && dummy.length() == 60 && !dummy.equals(aliceHash),
          "an unknown user costs what a known one does (the file's cost, 05): " + dummy);
    }
  }
  /**
   * Requests run on virtual threads, whose carriers are as many as the CPUs and are not time-sliced: bcrypt checks
   * on all of them at once (a burst of sign-ins, right or wrong, from anywhere) would stall every other request
   * until they end. At most {@link Htpasswd#MAX_CONCURRENT_CHECKS} run at once, fewer than the carriers.
   */
  @Test
  void bcryptChecksNeverOccupyEveryCarrierThread() throws Exception {
    Path file = Files.writeString(dir.resolve("htpasswd"), ALICE + "\n");
    java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    Htpasswd htpasswd = Htpasswd.load(file, (password, hash) -> {
      calls.incrementAndGet();
      most.accumulateAndGet(running.incrementAndGet(), Math::max);
      try {
        Thread.sleep(30);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        running.decrementAndGet();
      }
      return true;
    });
    int cpus = Runtime.getRuntime().availableProcessors();
    try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 4 * cpus + 8; i++) {
        String user = i % 2 == 0 ? "alice" : "nobody" + i;
        threads.submit(() -> htpasswd.verify(user, "pw"));
      }
    }
    assertEquals(4 * cpus + 8, calls.get());
    assertTrue(most.get() <= Htpasswd.MAX_CONCURRENT_CHECKS, most.get() + " checks ran at once");
    assertTrue(Htpasswd.MAX_CONCURRENT_CHECKS >= 1 && (cpus == 1 || Htpasswd.MAX_CONCURRENT_CHECKS < cpus),
        "some carriers stay free: " + Htpasswd.MAX_CONCURRENT_CHECKS + " of " + cpus);
  }
}
