package io.berth.registry;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Upload session ids: version-7 UUIDs, whose first 48 bits are the time the session began. The id carries its own
 * start time, so a session is one file (its bytes) with nothing beside it: starting an upload creates one file and
 * finishing it deletes none, where a directory with a start-time file cost two more inodes made and two freed per
 * push.
 */
final class UploadIds {
  private static final Pattern UUID_PATTERN =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  private UploadIds() {}

  /** A new id: the time in milliseconds, then 74 random bits from {@link UUID#randomUUID}'s secure source. */
  static String next(Instant now) {
    UUID random = UUID.randomUUID();
    long high = (now.toEpochMilli() << 16) | 0x7000L | (random.getMostSignificantBits() & 0x0FFFL);
    return new UUID(high, random.getLeastSignificantBits()).toString(); // the variant bits are already IETF's
  }

  /** Whether {@code id} has the form of an upload id (of this version or an older one's random UUID). */
  static boolean isWellFormed(String id) {
    return id != null && UUID_PATTERN.matcher(id).matches();
  }

  /** When the session began, if the id is a version-7 UUID. */
  static Optional<Instant> startedAt(String id) {
    if (!isWellFormed(id)) {
      return Optional.empty();
    }
    UUID uuid = UUID.fromString(id);
    return uuid.version() == 7
        ? Optional.of(Instant.ofEpochMilli(uuid.getMostSignificantBits() >>> 16))
        : Optional.empty();
  }
}
