package io.berth.registry;

import io.berth.storage.PathNotFoundException;
import io.berth.storage.StorageDriver;
import io.berth.storage.StoragePaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Deletes upload sessions abandoned for longer than a maximum age (distribution's upload purging), so clients
 * that gave up mid-push don't fill the disk.
 */
public final class UploadPurger {
  private final StorageDriver driver;

  public UploadPurger(StorageDriver driver) {
    this.driver = driver;
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
      if (startedAt(session).isBefore(cutoff)) {
        driver.delete(session);
        purged++;
      }
    }
    return purged;
  }

  /** When a session started; one without a readable start time is as old as can be (left by a crash). */
  private Instant startedAt(String session) throws IOException {
    try {
      return Instant.parse(new String(driver.getContent(session + "/startedat"), StandardCharsets.US_ASCII).trim());
    } catch (PathNotFoundException | DateTimeParseException e) {
      return Instant.EPOCH;
    }
  }
}
