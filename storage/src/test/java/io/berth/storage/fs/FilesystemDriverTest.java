package io.berth.storage.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.storage.StorageDriver;
import io.berth.storage.StorageDriverContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemDriverTest extends StorageDriverContract {
  @TempDir
  Path root;

  @Override
  protected StorageDriver newDriver() throws IOException {
    return new FilesystemDriver(root);
  }

  @Override
  protected StorageDriver newDriverOverTheSameStorage() throws IOException {
    return new FilesystemDriver(root);
  }

  @Test
  void writesLeaveNoTemporaryFilesBehind() throws IOException {
    for (int i = 0; i < 10; i++) {
      driver.putContent("dir/file", new byte[] {(byte) i});
    }
    try (Stream<Path> all = Files.walk(root)) {
      List<String> names = all.map(p -> p.getFileName().toString()).toList();
      assertTrue(names.stream().noneMatch(n -> n.startsWith(FilesystemDriver.TEMP_PREFIX)), names.toString());
    }
  }

  @Test
  void aTemporaryFileFromACrashIsNeverListedNorRead() throws IOException {
    driver.putContent("dir/real", new byte[] {1});
    // What a crash between write and rename leaves: a temp file beside the real one.
    Files.write(root.resolve("dir").resolve(FilesystemDriver.TEMP_PREFIX + "half"), new byte[] {2, 3});
    assertEquals(List.of("real"), driver.list("dir"));
  }

  @Test
  void sweepingRemovesOnlyOldTemporaryFiles() throws IOException {
    driver.putContent("dir/real", new byte[] {1});
    Path old = Files.write(root.resolve("dir").resolve(FilesystemDriver.TEMP_PREFIX + "old"), new byte[] {2});
    Files.setLastModifiedTime(old, java.nio.file.attribute.FileTime.from(java.time.Instant.now().minusSeconds(7200)));
    Path recent = Files.write(root.resolve("dir").resolve(FilesystemDriver.TEMP_PREFIX + "recent"), new byte[] {3});
    FilesystemDriver fs = (FilesystemDriver) driver;
    assertEquals(1, fs.sweepTemporaryFiles(java.time.Duration.ofHours(1)));
    assertTrue(Files.exists(recent), "a write may still be in progress");
    assertTrue(Files.notExists(old));
    assertEquals(List.of("real"), driver.list("dir"));
  }

  @Test
  void filesAreServedFromTheRoot() throws IOException {
    driver.putContent("a/b", new byte[] {7});
    assertEquals(root.toRealPath().resolve("a/b"), driver.localFile("a/b").orElseThrow());
  }
}
