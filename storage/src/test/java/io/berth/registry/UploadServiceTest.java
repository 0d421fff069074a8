package io.berth.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.oci.Digest;
import io.berth.oci.DigestAlgorithm;
import io.berth.oci.ErrorCode;
import io.berth.oci.RegistryException;
import io.berth.oci.RepositoryName;
import io.berth.storage.StoragePaths;
import io.berth.storage.fs.FilesystemDriver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UploadServiceTest {
  static final RepositoryName APP = RepositoryName.parse("team/app");
  static final RepositoryName OTHER = RepositoryName.parse("team/other");
  static final String UPLOADS = StoragePaths.repository(APP) + "/" + StoragePaths.UPLOADS;

  @TempDir
  Path root;
  FilesystemDriver driver;
  Registry registry;

  @BeforeEach
  void setUp() throws IOException {
    driver = new FilesystemDriver(root);
    registry = new Registry(driver);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  void append(String uuid, Long at, String text) throws IOException {
    try (UploadService.Appender a = registry.uploads().append(APP, uuid, at)) {
      a.write(ByteBuffer.wrap(utf8(text)));
      a.commit();
    }
  }

  static byte[] read(StoredBlob blob) throws IOException {
    try (SeekableByteChannel ch = blob.open(0)) {
      ByteBuffer buf = ByteBuffer.allocate((int) blob.size());
      while (buf.hasRemaining() && ch.read(buf) >= 0) {
        // fill
      }
      return buf.array();
    }
  }

  @Test
  void chunksAddUpToTheBlob() throws IOException {
    String uuid = registry.uploads().start(APP, DigestAlgorithm.SHA256);
    append(uuid, 0L, "hello ");
    assertEquals(6, registry.uploads().offset(APP, uuid));
    append(uuid, 6L, "world");
    Digest digest = Digest.sha256(utf8("hello world"));
    StoredBlob blob = registry.uploads().complete(APP, uuid, digest);
    assertEquals(11, blob.size());
    assertArrayEquals(utf8("hello world"), read(registry.blobs().get(APP, digest)));
    assertThrows(RegistryException.class, () -> registry.uploads().offset(APP, uuid), "session is gone");
    assertEquals(List.of(), driver.list(UPLOADS), "the session's file became the blob's");
  }

  @Test
  void aSessionIsOneFileNamedByAnIdThatTellsWhenItBegan() throws IOException {
    Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    String uuid = registry.uploads().start(APP, DigestAlgorithm.SHA256);
    Instant after = Instant.now();
    assertEquals(List.of(uuid), driver.list(UPLOADS));
    assertEquals(Optional.of(0L), driver.size(StoragePaths.upload(APP, uuid)));
    Instant started = UploadIds.startedAt(uuid).orElseThrow();
    assertTrue(!started.isBefore(before) && !started.isAfter(after), started + " not within the call");
    assertNotEquals(uuid, registry.uploads().start(APP, DigestAlgorithm.SHA256));
  }

  @Test
  void anOutOfOrderChunkIsRefusedAndChangesNothing() throws IOException {
    String uuid = registry.uploads().start(APP, DigestAlgorithm.SHA256);
    append(uuid, null, "abc");
    RegistryException e = assertThrows(RegistryException.class, () -> append(uuid, 5L, "zzz"));
    assertEquals(ErrorCode.RANGE_INVALID, e.code());
    assertEquals(416, e.httpStatus());
    assertEquals(3, registry.uploads().offset(APP, uuid));
  }

  @Test
  void aWrongDigestStoresNothing() throws IOException {
    String uuid = registry.uploads().start(APP, DigestAlgorithm.SHA256);
    append(uuid, null, "content");
    Digest claimed = Digest.sha256(utf8("other content"));
    RegistryException e = assertThrows(RegistryException.class, () -> registry.uploads().complete(APP, uuid, claimed));
    assertEquals(ErrorCode.DIGEST_INVALID, e.code());
    assertTrue(registry.blobs().stat(APP, claimed).isEmpty());
    assertTrue(driver.size(StoragePaths.blobData(claimed)).isEmpty());
    assertTrue(registry.blobs().stat(APP, Digest.sha256(utf8("content"))).isEmpty());
  }

  @Test
  void theDigestIsRecomputedWhenTheRunningHashIsLost() throws IOException {
    String uuid = registry.uploads().start(APP, DigestAlgorithm.SHA256);
    append(uuid, null, "part one,");
    // A restart loses the in-memory hash: a new service over the same storage must still verify correctly.
    Registry restarted = new Registry(driver);
    try (UploadService.Appender a = restarted.uploads().append(APP, uuid, 9L)) {
      a.write(ByteBuffer.wrap(utf8(" part two")));
      a.commit();
    }
    Digest digest = Digest.sha256(utf8("part one, part two"));
    assertEquals(18, restarted.uploads().complete(APP, uuid, digest).size());
  }

  @Test
  void sha512UploadsAreVerifiedWithSha512() throws IOException {
    String uuid = registry.uploads().start(APP, DigestAlgorithm.SHA512);
    append(uuid, null, "five!");
    Digest digest = Digest.of(DigestAlgorithm.SHA512, utf8("five!"));
    registry.uploads().complete(APP, uuid, digest);
    assertEquals(5, registry.blobs().get(APP, digest).size());
  }

  @Test
  void aBlobIsStoredOnceAndOnlyLinkedRepositoriesSeeIt() throws IOException {
    Digest digest = Digest.sha256(utf8("shared"));
    for (RepositoryName repo : new RepositoryName[] {APP, OTHER}) {
      String uuid = registry.uploads().start(repo, DigestAlgorithm.SHA256);
      try (UploadService.Appender a = registry.uploads().append(repo, uuid, null)) {
        a.write(ByteBuffer.wrap(utf8("shared")));
        a.commit();
      }
      registry.uploads().complete(repo, uuid, digest);
    }
    assertTrue(registry.blobs().stat(OTHER, digest).isPresent());
    assertTrue(registry.blobs().stat(RepositoryName.parse("team/third"), digest).isEmpty());
    assertEquals(1, driver.list("blobs/sha256/" + digest.hex().substring(0, 2)).size());
  }

  @Test
  void mountLinksOnlyFromARepositoryThatHoldsTheBlob() throws IOException {
    String uuid = registry.uploads().start(APP, DigestAlgorithm.SHA256);
    append(uuid, null, "mount me");
    Digest digest = Digest.sha256(utf8("mount me"));
    registry.uploads().complete(APP, uuid, digest);
    RepositoryName third = RepositoryName.parse("third");
    assertTrue(registry.blobs().mount(third, OTHER, digest).isEmpty(), "OTHER doesn't hold it");
    assertTrue(registry.blobs().stat(third, digest).isEmpty());
    assertTrue(registry.blobs().mount(third, APP, digest).isPresent());
    assertTrue(registry.blobs().stat(third, digest).isPresent());
  }

  @Test
  void unknownAndForeignUploadsAreUnknown() throws IOException {
    String uuid = registry.uploads().start(APP, DigestAlgorithm.SHA256);
    for (String bad : new String[] {"nope", "../../x", "00000000-0000-0000-0000-000000000000"}) {
      assertEquals(ErrorCode.BLOB_UPLOAD_UNKNOWN,
          assertThrows(RegistryException.class, () -> registry.uploads().offset(APP, bad)).code());
    }
    assertEquals(ErrorCode.BLOB_UPLOAD_UNKNOWN,
        assertThrows(RegistryException.class, () -> registry.uploads().offset(OTHER, uuid)).code());
  }

  @Test
  void cancelDeletesWhatWasReceived() throws IOException {
    String uuid = registry.uploads().start(APP, DigestAlgorithm.SHA256);
    append(uuid, null, "bytes");
    registry.uploads().cancel(APP, uuid);
    assertEquals(List.of(), driver.list(UPLOADS));
    assertThrows(RegistryException.class, () -> registry.uploads().offset(APP, uuid));
  }

  @Test
  void anUploadBeingWrittenCannotBeCancelledUnderTheWriter() throws IOException {
    String uuid = registry.uploads().start(APP, DigestAlgorithm.SHA256);
    try (UploadService.Appender writing = registry.uploads().append(APP, uuid, null)) {
      writing.write(ByteBuffer.wrap(utf8("abc")));
      assertEquals(ErrorCode.BLOB_UPLOAD_INVALID,
          assertThrows(RegistryException.class, () -> registry.uploads().cancel(APP, uuid)).code());
      writing.commit();
    }
    assertEquals(3, registry.uploads().offset(APP, uuid));
    registry.uploads().cancel(APP, uuid);
    assertThrows(RegistryException.class, () -> registry.uploads().offset(APP, uuid));
  }

  @Test
  void aSecondWriterToABusyUploadIsRefused() throws IOException {
    String uuid = registry.uploads().start(APP, DigestAlgorithm.SHA256);
    try (UploadService.Appender first = registry.uploads().append(APP, uuid, null)) {
      assertEquals(ErrorCode.BLOB_UPLOAD_INVALID,
          assertThrows(RegistryException.class, () -> registry.uploads().append(APP, uuid, null)).code());
    }
    registry.uploads().append(APP, uuid, null).close(); // free again
  }
}
