package io.berth.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.berth.oci.DigestAlgorithm;
import io.berth.oci.RegistryException;
import io.berth.oci.RepositoryName;
import io.berth.storage.StoragePaths;
import io.berth.storage.fs.FilesystemDriver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
    String old = registry.uploads().start(nested, DigestAlgorithm.SHA256);
    String fresh = registry.uploads().start(other, DigestAlgorithm.SHA256);
    driver.putContent(StoragePaths.uploadStartedAt(nested, old),
        Instant.now().minus(Duration.ofDays(8)).toString().getBytes(StandardCharsets.US_ASCII));

    String oldButBusy = registry.uploads().start(other, DigestAlgorithm.SHA256);
    driver.putContent(StoragePaths.uploadStartedAt(other, oldButBusy),
        Instant.now().minus(Duration.ofDays(9)).toString().getBytes(StandardCharsets.US_ASCII));

    int purged;
    try (UploadService.Appender writing = registry.uploads().append(other, oldButBusy, null)) {
      purged = registry.uploads().purge(Duration.ofDays(7), Instant.now());
    }

    assertEquals(1, purged);
    assertThrows(RegistryException.class, () -> registry.uploads().offset(nested, old));
    assertEquals(0, registry.uploads().offset(other, fresh));
    assertEquals(0, registry.uploads().offset(other, oldButBusy), "being written: left alone");
  }
}
