package io.berth.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.berth.oci.DigestAlgorithm;
import io.berth.oci.RegistryException;
import io.berth.oci.RepositoryName;
import io.berth.storage.FileWriter;
import io.berth.storage.StoragePaths;
import io.berth.storage.fs.FilesystemDriver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UploadPurgerTest {
  @TempDir
  Path root;

  @Test
  void purgesOnlyIdleSessionsOlderThanTheMaximumAge() throws IOException {
    FilesystemDriver driver = new FilesystemDriver(root);
    Registry registry = new Registry(driver);
    RepositoryName nested = RepositoryName.parse("team/app/api");
    RepositoryName other = RepositoryName.parse("other");
    String old = startedDaysAgo(driver, nested, 8);
    String fresh = registry.uploads().start(other, DigestAlgorithm.SHA256);
    String oldButBusy = startedDaysAgo(driver, other, 9);

    int purged;
    try (UploadService.Appender writing = registry.uploads().append(other, oldButBusy, null)) {
      purged = registry.uploads().purge(Duration.ofDays(7), Instant.now());
    }

    assertEquals(1, purged);
    assertThrows(RegistryException.class, () -> registry.uploads().offset(nested, old));
    assertEquals(0, registry.uploads().offset(other, fresh));
    assertEquals(0, registry.uploads().offset(other, oldButBusy), "being written: left alone");
  }

  @Test
  void purgesSessionsOfAnOlderBerthByTheirStartTimeFile() throws IOException {
    FilesystemDriver driver = new FilesystemDriver(root);
    Registry registry = new Registry(driver);
    RepositoryName repo = RepositoryName.parse("app");
    String old = UUID.randomUUID().toString(); // a directory holding data and startedat
    driver.putContent(StoragePaths.upload(repo, old) + "/data", new byte[] {1, 2});
    driver.putContent(StoragePaths.upload(repo, old) + "/startedat",
        Instant.now().minus(Duration.ofDays(8)).toString().getBytes(StandardCharsets.US_ASCII));
    String unknownAge = UUID.randomUUID().toString(); // cut off while its start time was being written
    driver.putContent(StoragePaths.upload(repo, unknownAge) + "/data", new byte[] {1});

    assertEquals(1, registry.uploads().purge(Duration.ofDays(7), Instant.now()));

    assertEquals(List.of(unknownAge), driver.list(StoragePaths.repository(repo) + "/" + StoragePaths.UPLOADS));
  }

  /** A session as {@link UploadService#start} makes it, as if days ago. */
  private static String startedDaysAgo(FilesystemDriver driver, RepositoryName repo, int days) throws IOException {
    String id = UploadIds.next(Instant.now().minus(Duration.ofDays(days)));
    try (FileWriter session = driver.appender(StoragePaths.upload(repo, id))) {
      session.commit();
    }
    return id;
  }
}
