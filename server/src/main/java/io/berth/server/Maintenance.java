package io.berth.server;

import io.berth.registry.UploadService;
import io.berth.server.config.ServerConfig;
import io.berth.storage.StorageDriver;
import io.berth.storage.fs.FilesystemDriver;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Background housekeeping on its own thread: purging abandoned uploads, and sweeping the temporary files that
 * a crash mid-write leaves on the filesystem.
 */
final class Maintenance implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Maintenance.class);

  private final ScheduledExecutorService scheduler;

  private Maintenance(ScheduledExecutorService scheduler) {
    this.scheduler = scheduler;
  }

  /** Temporary files older than this belong to no live write. */
  private static final Duration TEMP_FILE_AGE = Duration.ofHours(1);

  static Maintenance start(UploadService uploads, StorageDriver driver, ServerConfig.Maintenance config) {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "berth-maintenance");
      t.setDaemon(true);
      return t;
    });
    ServerConfig.UploadPurging purging = config.uploadpurging();
    if (purging.enabled()) {
      Duration age = Duration.ofHours(purging.agehours());
      // First run soon after start, not at once: a restart must not slow the first pushes.
      scheduler.scheduleWithFixedDelay(() -> {
        try {
          int purged = uploads.purge(age, Instant.now());
          if (purged > 0) {
            log.info("purged {} upload sessions older than {}", purged, age);
          }
        } catch (Exception e) {
          log.warn("upload purging failed; will try again", e);
        }
      }, 5, Math.max(1, purging.intervalhours()) * 60L, TimeUnit.MINUTES);
    }
    if (driver instanceof FilesystemDriver filesystem) {
      scheduleSweep(scheduler, filesystem);
    }
    return new Maintenance(scheduler);
  }

  private static void scheduleSweep(ScheduledExecutorService scheduler, FilesystemDriver filesystem) {
    scheduler.scheduleWithFixedDelay(() -> {
      try {
        int swept = filesystem.sweepTemporaryFiles(TEMP_FILE_AGE);
        if (swept > 0) {
          log.info("removed {} temporary files left by interrupted writes", swept);
        }
      } catch (Exception e) {
        log.warn("sweeping temporary files failed; will try again", e);
      }
    }, 1, 60, TimeUnit.MINUTES);
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
