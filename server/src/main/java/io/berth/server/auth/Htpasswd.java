package io.berth.server.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Users and their bcrypt hashes from an htpasswd file, in the format {@code htpasswd -B} writes
 * ({@code user:$2y$...}). Other hash kinds (MD5, SHA-1, crypt) are refused: they are too weak to keep. The file is
 * read again when it changes, so adding a user needs no restart.
 */
public final class Htpasswd {
  private static final Logger log = LoggerFactory.getLogger(Htpasswd.class);
  private static final int COST = 10;
  /**
   * Password checks running at once, at most. Requests run on virtual threads, whose carrier threads are as many
   * as the CPUs and are not time-sliced: a burst of sign-ins (right or wrong, from anywhere) checked all at once
   * would occupy every carrier for as long as their bcrypt takes, stalling every other request. Half the CPUs
   * leaves the rest free; a waiting check gives its carrier up.
   */
  static final int MAX_CONCURRENT_CHECKS = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

  /** Checks a password against a bcrypt hash; {@link #BCRYPT} but in tests, which watch what is checked. */
  interface HashCheck {
    boolean matches(char[] password, String hash);
  }

  /** bcrypt reads this much of a password; Apache's {@code htpasswd -B} and Go's bcrypt ignore the rest. */
  static final int MAX_PASSWORD_BYTES = 72;

  /**
   * A longer password is checked on its first 72 bytes, as Apache made its hash and as distribution checks it;
   * the library's default refuses it, which locked such users out.
   */
  static final HashCheck BCRYPT = (password, hash) -> BCrypt.verifyer(BCrypt.Version.VERSION_2Y,
      LongPasswordStrategies.truncate(BCrypt.Version.VERSION_2Y)).verify(password, hash).verified;

  /** One for the JVM, as the CPUs are. */
  private static final Semaphore CHECKS = new Semaphore(MAX_CONCURRENT_CHECKS, true);

  private final Path file;
  private final HashCheck check;
  private volatile Map<String, String> hashes = Map.of();
  private volatile FileTime loaded;
  /**
   * Checked when the user is unknown, so an unknown name takes as long to refuse as a wrong password: made with
   * the cost the file's users have, since bcrypt's time is its cost.
   */
  private volatile String dummyHash = dummyHash(COST);

  private Htpasswd(Path file, HashCheck check) {
    this.file = file;
    this.check = check;
  }

  /** @throws IOException when the file can't be read: htpasswd mode without users is a mistake, not a default */
  public static Htpasswd load(Path file) throws IOException {
    return load(file, BCRYPT);
  }

  static Htpasswd load(Path file, HashCheck check) throws IOException {
    Htpasswd htpasswd = new Htpasswd(file, check);
    htpasswd.reload();
    return htpasswd;
  }

  /** Whether {@code password} is {@code user}'s. Takes a bcrypt verification whatever the answer. */
  public boolean verify(String user, String password) {
    reloadIfChanged();
    String hash = hashes.get(user);
    boolean known = hash != null;
    CHECKS.acquireUninterruptibly();
    try {
      boolean matches = check.matches(password.toCharArray(), known ? hash : dummyHash);
      return known && matches;
    } catch (IllegalArgumentException tooLongOrMalformed) {
      return false;
    } finally {
      CHECKS.release();
    }
  }

  /**
   * A short fingerprint of {@code user}'s current password hash, or empty when the user is gone: a refresh token
   * carries it, so changing a password or removing the user ends the refresh tokens issued before.
   */
  public Optional<String> credentialVersion(String user) {
    reloadIfChanged();
    String hash = hashes.get(user);
    if (hash == null) {
      return Optional.empty();
    }
    try {
      byte[] sha = MessageDigest.getInstance("SHA-256").digest(hash.getBytes(StandardCharsets.UTF_8));
      return Optional.of(HexFormat.of().formatHex(sha, 0, 12));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public int users() {
    return hashes.size();
  }

  private void reloadIfChanged() {
    try {
      if (!Files.getLastModifiedTime(file).equals(loaded)) {
        reload();
      }
    } catch (IOException e) {
      log.warn("cannot read {}; keeping the users read before: {}", file, e.toString());
    }
  }

  private synchronized void reload() throws IOException {
    FileTime modified = Files.getLastModifiedTime(file);
    Map<String, String> read = new LinkedHashMap<>();
    int lineNumber = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      lineNumber++;
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      int colon = trimmed.indexOf(':');
      String hash = colon < 0 ? "" : trimmed.substring(colon + 1);
      if (colon <= 0 || !(hash.startsWith("$2y$") || hash.startsWith("$2a$") || hash.startsWith("$2b$"))) {
        log.warn("{}:{}: not a user with a bcrypt hash (htpasswd -B); ignored", file, lineNumber);
        continue;
      }
      read.put(trimmed.substring(0, colon), hash);
    }
    hashes = Map.copyOf(read);
    int cost = read.values().stream().findFirst().map(Htpasswd::costOf).orElse(COST);
    if (!dummyHash.startsWith(String.format("$2y$%02d$", cost))) {
      dummyHash = dummyHash(cost);
    }
    loaded = modified;
    log.info("{} users from {}", read.size(), file);
  }

  private static String dummyHash(int cost) {
    return BCrypt.with(BCrypt.Version.VERSION_2Y).hashToString(cost, "not a password of anyone".toCharArray());
  }

  /** The cost of a {@code $2y$NN$...} hash. */
  private static int costOf(String hash) {
    try {
      return Integer.parseInt(hash.substring(4, 6));
    } catch (RuntimeException e) {
      return COST;
    }
  }

  /**
   * Adds a user or changes its password, as {@code htpasswd -B FILE USER} does; the file is replaced atomically and
   * readable by its owner only.
   */
  public static void setPassword(Path file, String user, char[] password) throws IOException {
    if (user.isEmpty() || user.contains(":") || user.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException("a user name can't be empty or hold ':' or spaces");
    }
    if (StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(password)).remaining() > MAX_PASSWORD_BYTES) {
      throw new IllegalArgumentException("a password can't be longer than " + MAX_PASSWORD_BYTES
          + " bytes: bcrypt would ignore the rest");
    }
    String line = user + ":" + BCrypt.with(BCrypt.Version.VERSION_2Y).hashToString(COST, password);
    List<String> lines = new ArrayList<>();
    boolean replaced = false;
    if (Files.exists(file)) {
      for (String existing : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (existing.startsWith(user + ":")) {
          lines.add(line);
          replaced = true;
        } else {
          lines.add(existing);
        }
      }
    }
    if (!replaced) {
      lines.add(line);
    }
    Path dir = file.toAbsolutePath().getParent();
    Path temp = Files.createTempFile(dir, ".htpasswd-", ".tmp");
    try {
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
      Files.write(temp, lines, StandardCharsets.UTF_8);
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
