package io.berth.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.berth.oci.Digest;
import io.berth.oci.DigestAlgorithm;
import io.berth.oci.ErrorCode;
import io.berth.oci.RegistryException;
import io.berth.oci.RepositoryName;
import io.berth.storage.ForwardingStorageDriver;
import io.berth.storage.StorageDriver;
import io.berth.storage.s3.S3Driver;
import io.berth.storage.s3.S3ProxyServer;
import io.berth.storage.s3.S3Settings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One upload written through two registries (two processes, each with its own S3 driver) over the same bucket and
 * prefix, in the orders a client that sends one upload's requests to two instances can bring about. Whatever the
 * order, a blob is never stored under a digest its bytes don't have: that blob would be served to every repository
 * that later pushes the same digest.
 */
class SharedStorageUploadTest {
  private static final RepositoryName APP = RepositoryName.parse("team/app");
  private static S3ProxyServer server;

  private final List<S3Driver> opened = new ArrayList<>();
  private String prefix;

  @BeforeAll
  static void startServer() throws Exception {
    server = S3ProxyServer.start();
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void newPrefix() {
    prefix = "shared-" + UUID.randomUUID();
  }

  @AfterEach
  void closeDrivers() {
    opened.forEach(S3Driver::close);
    opened.clear();
  }

  private S3Driver open() {
    S3Driver driver = S3Driver.create(new S3Settings(server.bucket(), prefix, server.region(),
        server.endpoint().toString(), true, server.accessKey(), server.secretKey(), 5, 4));
    opened.add(driver);
    return driver;
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  /** Two appends at the same offset at once, A's committed first: B's must not replace A's bytes. */
  @Test
  void aSecondChunkAtTheSameOffsetFromAnotherInstanceDoesNotReplaceTheFirst() throws Exception {
    Registry a = new Registry(open());
    Registry b = new Registry(open());
    byte[] x = random(1000, 1);
    byte[] y = random(1000, 2);
    String uuid = a.uploads().start(APP, DigestAlgorithm.SHA256);
    UploadService.Appender fromA = a.uploads().append(APP, uuid, 0L);
    UploadService.Appender fromB = b.uploads().append(APP, uuid, 0L); // another process: its busy set is its own
    fromA.write(ByteBuffer.wrap(x));
    fromA.commit();
    fromB.write(ByteBuffer.wrap(y));
    assertEquals(ErrorCode.BLOB_UPLOAD_INVALID, assertThrows(RegistryException.class, fromB::commit).code(),
        "the chunk at offset 0 is taken");
    assertArrayEquals(x, read(completeAndCheck(a, uuid, Digest.sha256(x))));
  }

  /** The same, B's committed first: A's running hash covers bytes that are not the upload's. */
  @Test
  void aRunningHashOfAChunkThatLostTheOffsetIsNotTrusted() throws Exception {
    Registry a = new Registry(open());
    Registry b = new Registry(open());
    byte[] x = random(1000, 3);
    byte[] y = random(1000, 4);
    String uuid = a.uploads().start(APP, DigestAlgorithm.SHA256);
    UploadService.Appender fromA = a.uploads().append(APP, uuid, 0L);
    UploadService.Appender fromB = b.uploads().append(APP, uuid, 0L);
    fromB.write(ByteBuffer.wrap(y));
    fromB.commit();
    fromA.write(ByteBuffer.wrap(x));
    assertEquals(ErrorCode.BLOB_UPLOAD_INVALID, assertThrows(RegistryException.class, fromA::commit).code(),
        "the chunk at offset 0 is taken");
    assertEquals(null, completeAndCheck(a, uuid, Digest.sha256(x)), "refused: the upload holds B's bytes");
  }

  /** A chunk appended through B while A completes, after A hashed: A must store exactly what it hashed. */
  @Test
  void aChunkAppendedWhileAnotherInstanceCompletesIsNotPartOfTheBlob() throws Exception {
    Registry b = new Registry(open());
    byte[] x = random(6 << 20, 5);
    byte[] z = random(100, 6);
    String[] upload = new String[1];
    StorageDriver hooked = new ForwardingStorageDriver(open()) {
      @Override
      public void move(String source, String destination) throws IOException {
        appendThroughB();
        super.move(source, destination);
      }

      @Override
      public void move(String source, String destination, long size) throws IOException {
        appendThroughB();
        super.move(source, destination, size);
      }

      private void appendThroughB() throws IOException {
        try (UploadService.Appender late = b.uploads().append(APP, upload[0], (long) x.length)) {
          late.write(ByteBuffer.wrap(z));
          late.commit();
        }
      }
    };
    Registry a = new Registry(hooked);
    upload[0] = a.uploads().start(APP, DigestAlgorithm.SHA256);
    try (UploadService.Appender first = a.uploads().append(APP, upload[0], 0L)) {
      first.write(ByteBuffer.wrap(x));
      first.commit();
    }
    StoredBlob blob = completeAndCheck(a, upload[0], Digest.sha256(x));
    assertEquals(x.length, blob.size());
  }

  /**
   * Completes the upload with {@code digest}: either refused as DIGEST_INVALID, or stored, and then the bytes stored
   * under the digest, read back through a fresh driver, have that digest.
   */
  private StoredBlob completeAndCheck(Registry registry, String uuid, Digest digest) throws IOException {
    StoredBlob stored;
    try {
      stored = registry.uploads().complete(APP, uuid, digest);
    } catch (RegistryException e) {
      assertEquals(ErrorCode.DIGEST_INVALID, e.code(), e::getMessage);
      assertThrows(RegistryException.class, () -> new Registry(open()).blobs().get(APP, digest));
      return null;
    }
    StoredBlob reread = new Registry(open()).blobs().get(APP, digest);
    assertEquals(digest, Digest.sha256(read(reread)), "the bytes stored under " + digest);
    return stored;
  }

  private static byte[] read(StoredBlob blob) throws IOException {
    try (SeekableByteChannel ch = blob.open(0)) {
      ByteBuffer buf = ByteBuffer.allocate((int) blob.size());
      while (buf.hasRemaining() && ch.read(buf) >= 0) {
        // fill
      }
      assertEquals(-1, ch.read(ByteBuffer.allocate(1)), "no more than its size");
      return buf.array();
    }
  }
}
