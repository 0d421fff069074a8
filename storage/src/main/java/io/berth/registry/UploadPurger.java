package io.berth.registry;

import io.berth.storage.PathNotFoundException;
import io.berth.storage.StorageDriver;
import io.berth.storage.StoragePaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Deletes upload sessions abandoned for longer than a maximum age (distribution's upload purging), so clients
 * that gave up mid-push don't fill the disk.
 */
final class UploadPurger {
  private final StorageDriver driver;
  private final Predicate<String> inUse;

  /** @param inUse whether a session (by id) is being written right now: those are left alone */
  UploadPurger(StorageDriver driver, Predicate<String> inUse) {
    this.driver = driver;
    this.inUse = inUse;
  }

  /**
   * Deletes every upload that started before {@code now - maxAge}.
   *
   * @return how many were deleted
   */
  public int purge(Duration maxAge, Instant now) throws IOException {
    return walk(StoragePaths.REPOSITORIES, now.minus(maxAge));
  }

  private int walk(String dir, Instant cutoff) throws IOException {
    int purged = 0;
    for (String child : driver.list(dir)) {
      String path = dir + "/" + child;
      if (child.equals(StoragePaths.UPLOADS)) {
        purged += purgeSessions(path, cutoff);
      } else if (!child.startsWith("_")) {
        purged += walk(path, cutoff);
      }
    }
    return purged;
  }

  private int purgeSessions(String uploadsDir, Instant cutoff) throws IOException {
    int purged = 0;
    for (String uuid : driver.list(uploadsDir)) {
      String session = uploadsDir + "/" + uuid;
      Optional<Instant> started = startedAt(session, uuid);
      if (started.isPresent() && started.get().isBefore(cutoff) && !inUse.test(uuid)) {
        driver.deleteScratch(session);
        purged++;
      }
    }
    return purged;
  }

  /**
   * When a session started: its id tells. A session of an older Berth is a directory with a {@code startedat} file,
   * unknown while {@code start} was still writing it (so it is never purged then).
   */
  private Optional<Instant> startedAt(String session, String uuid) throws IOException {
    Optional<Instant> fromId = UploadIds.startedAt(uuid);
    if (fromId.isPresent()) {
      return fromId;
    }
    try {
      return Optional.of(Instant.parse(
          new String(driver.getContent(session + "/startedat"), StandardCharsets.US_ASCII).trim()));
    } catch (PathNotFoundException | DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
