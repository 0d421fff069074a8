package io.berth.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.berth.oci.Digest;
import io.berth.oci.DigestAlgorithm;
import io.berth.oci.ErrorCode;
import io.berth.oci.RegistryException;
import io.berth.oci.RepositoryName;
import io.berth.storage.FileWriter;
import io.berth.storage.PathNotFoundException;
import io.berth.storage.StorageDriver;
import io.berth.storage.StoragePaths;
import io.berth.storage.WriteConflictException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Blob upload sessions. Their bytes live in storage, so an upload survives a restart and continues; the
 * running hash lives in memory only to spare re-reading the bytes at completion, and is rebuilt from the
 * stored bytes when it is missing or stale.
 *
 * <p>Several instances over shared storage may each take requests of one upload. The running hash is trusted only
 * while it covers exactly the bytes in storage: it is dropped when an append of this process did not end in a
 * commit (on S3 a commit fails rather than replace a chunk another instance wrote at the same offset), and it is
 * stale when storage holds more than it covers. At completion exactly the bytes hashed are published
 * ({@link StorageDriver#move(String, String, long)}), even if another instance appended meanwhile.
 */
public final class UploadService {
  private static final Duration BUSY_WAIT = Duration.ofSeconds(2);
  /** Batches this large are hashed on a thread of their own while they are written. */
  private static final long HASH_APART = 256 << 10;
  private static final ExecutorService HASHERS =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("berth-hash-", 0).factory());

  private final StorageDriver driver;
  private final BlobStore blobs;
  /** Running hashes by upload id; losing one only costs a re-read. */
  private final Cache<String, RunningHash> hashes =
      Caffeine.newBuilder().maximumSize(10_000).expireAfterAccess(Duration.ofHours(1)).build();
  /** Uploads being written right now; a second writer to the same upload is refused. */
  private final Set<String> busy = ConcurrentHashMap.newKeySet();

  public UploadService(StorageDriver driver, BlobStore blobs) {
    this.driver = driver;
    this.blobs = blobs;
  }

  /** Starts a session: an empty file under an id that tells when it began ({@link UploadIds}); returns the id. */
  public String start(RepositoryName repository, DigestAlgorithm algorithm) throws IOException {
    String uuid = UploadIds.next(Instant.now());
    try (FileWriter session = driver.appender(StoragePaths.upload(repository, uuid))) {
      session.commit();
    }
    hashes.put(uuid, new RunningHash(algorithm));
    return uuid;
  }

  /** Bytes received so far. */
  public long offset(RepositoryName repository, String uuid) throws IOException {
    return sizeOf(repository, uuid);
  }

  /**
   * Opens the session for appending one request body.
   *
   * @param expectedOffset where the client says this chunk starts ({@code Content-Range}), or null when it
   *     did not say (docker and containerd stream the whole blob in one PATCH without it)
   * @throws RegistryException RANGE_INVALID (416) when the chunk does not start where the upload ends
   */
  public Appender append(RepositoryName repository, String uuid, Long expectedOffset) throws IOException {
    requireExists(repository, uuid);
    acquire(uuid);
    try {
      requireExists(repository, uuid); // cancelled while we waited?
      FileWriter writer;
      try {
        writer = driver.appender(StoragePaths.upload(repository, uuid));
      } catch (WriteConflictException e) {
        throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID,
            "upload " + uuid + " is being written by another request");
      }
      try {
        long size = writer.size();
        if (expectedOffset != null && expectedOffset != size) {
          throw new RegistryException(ErrorCode.RANGE_INVALID,
              "chunk starts at " + expectedOffset + " but the upload has " + size + " bytes");
        }
        RunningHash hash = hashes.getIfPresent(uuid);
        if (hash != null && hash.offset != size) {
          hash = null; // stale: bytes written without it (another instance, a failed write); rebuilt at completion
          hashes.invalidate(uuid);
        }
        if (hash == null && size == 0) {
          // Started on another instance (or before a restart) but empty: hashing from here costs no re-read.
          hash = new RunningHash(DigestAlgorithm.SHA256);
          hashes.put(uuid, hash);
        }
        return new Appender(uuid, writer, hash);
      } catch (RuntimeException e) {
        writer.close();
        throw e;
      }
    } catch (IOException | RuntimeException e) {
      busy.remove(uuid);
      throw e;
    }
  }

  /**
   * Finishes the upload: verifies the digest, publishes the blob under it and links it into the repository.
   * On a mismatch nothing is stored and the session is discarded.
   */
  public StoredBlob complete(RepositoryName repository, String uuid, Digest expected) throws IOException {
    requireExists(repository, uuid);
    acquire(uuid);
    try {
      long size = sizeOf(repository, uuid); // and cancelled while we waited?
      String data = StoragePaths.upload(repository, uuid);
      Digest actual = digestOf(uuid, data, size, expected.algorithm());
      if (!actual.equals(expected)) {
        cancelQuietly(repository, uuid);
        throw new RegistryException(ErrorCode.DIGEST_INVALID,
            "upload content has digest " + actual + ", not " + expected);
      }
      if (blobs.contentExists(expected)) {
        driver.deleteScratch(data); // already stored, from this or another repository: keep one copy
      } else {
        driver.move(data, StoragePaths.blobData(expected), size); // what was hashed, not what came since
      }
      blobs.link(repository, expected);
      hashes.invalidate(uuid);
      return new StoredBlob(expected, size, driver);
    } finally {
      busy.remove(uuid);
    }
  }

  /**
   * Deletes the sessions that started before {@code now - maxAge} and are not being written.
   *
   * @return how many were deleted
   */
  public int purge(Duration maxAge, Instant now) throws IOException {
    return new UploadPurger(driver, busy::contains).purge(maxAge, now);
  }

  /** Cancels the upload and deletes what it received. */
  public void cancel(RepositoryName repository, String uuid) throws IOException {
    requireExists(repository, uuid);
    acquire(uuid);
    try {
      cancelQuietly(repository, uuid);
    } finally {
      busy.remove(uuid);
    }
  }

  private void cancelQuietly(RepositoryName repository, String uuid) throws IOException {
    hashes.invalidate(uuid);
    driver.deleteScratch(StoragePaths.upload(repository, uuid));
  }

  /**
   * Takes the upload for one writer. A client that lost its connection mid-chunk retries at once, while the
   * server may still be closing the old request: wait a little for that before refusing.
   */
  private void acquire(String uuid) {
    long deadline = System.nanoTime() + BUSY_WAIT.toNanos();
    while (!busy.add(uuid)) {
      if (System.nanoTime() > deadline) {
        throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, "upload " + uuid + " is being written by another request");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, "interrupted waiting for upload " + uuid);
      }
    }
  }

  private void requireExists(RepositoryName repository, String uuid) throws IOException {
    if (!UploadIds.isWellFormed(uuid) || !driver.exists(StoragePaths.upload(repository, uuid))) {
      throw unknown(uuid);
    }
  }

  /** The bytes the session holds. */
  private long sizeOf(RepositoryName repository, String uuid) throws IOException {
    if (!UploadIds.isWellFormed(uuid)) {
      throw unknown(uuid);
    }
    return driver.size(StoragePaths.upload(repository, uuid)).orElseThrow(() -> unknown(uuid));
  }

  private static RegistryException unknown(String uuid) {
    return new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, "upload unknown: " + uuid);
  }

  private Digest digestOf(String uuid, String data, long size, DigestAlgorithm algorithm) throws IOException {
    RunningHash hash = hashes.getIfPresent(uuid);
    if (hash != null && hash.algorithm == algorithm && hash.offset == size) {
      return hash.snapshot();
    }
    MessageDigest md = algorithm.newMessageDigest();
    if (size == 0) {
      return Digest.finish(algorithm, md);
    }
    ByteBuffer buf = ByteBuffer.allocate(1 << 16);
    long left = size; // exactly the bytes that will be published, though another instance may append meanwhile
    try (SeekableByteChannel ch = driver.reader(data, 0)) {
      while (left > 0) {
        buf.limit((int) Math.min(buf.capacity(), left));
        int n = ch.read(buf);
        if (n < 0) {
          throw new IOException(data + " ended after " + (size - left) + " of " + size + " bytes");
        }
        buf.flip();
        md.update(buf);
        buf.clear();
        left -= n;
      }
    }
    return Digest.finish(algorithm, md);
  }

  /** Appends one request's body to an upload. Not thread-safe: one caller at a time, as the body arrives. */
  public final class Appender implements AutoCloseable {
    private final String uuid;
    private final FileWriter writer;
    private RunningHash hash;
    private boolean committed;
    private boolean closed;

    private Appender(String uuid, FileWriter writer, RunningHash hash) {
      this.uuid = uuid;
      this.writer = writer;
      this.hash = hash;
    }

    public void write(ByteBuffer chunk) throws IOException {
      write(List.of(chunk));
    }

    /**
     * Writes chunks in order. Of a large batch, the hash is computed on another thread while storage writes: the
     * two take about as long each, so an upload goes at the pace of the slower, not of both in turn.
     */
    public void write(List<ByteBuffer> chunks) throws IOException {
      RunningHash running = hash;
      List<ByteBuffer> forHash = running == null ? List.of() : chunks.stream().map(ByteBuffer::duplicate).toList();
      long bytes = forHash.stream().mapToLong(ByteBuffer::remaining).sum();
      Future<?> hashing = bytes >= HASH_APART
          ? HASHERS.submit(() -> forHash.forEach(running::update))
          : null;
      try {
        for (ByteBuffer chunk : chunks) {
          writer.write(chunk);
        }
      } catch (IOException e) {
        awaitQuietly(hashing);
        dropHash();
        throw e;
      }
      if (hashing != null) {
        awaitQuietly(hashing); // the buffers are released once this returns
      } else if (running != null) {
        forHash.forEach(running::update);
      }
    }

    private static void awaitQuietly(Future<?> hashing) {
      if (hashing == null) {
        return;
      }
      boolean interrupted = false;
      while (true) {
        try {
          hashing.get();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          throw new IllegalStateException("hashing failed", e.getCause());
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }

    /** Bytes in the upload so far. */
    public long size() {
      return writer.size();
    }

    /** Makes the received bytes visible (durable once the upload completes) and ends this append. */
    public long commit() throws IOException {
      try {
        writer.commit();
        committed = true;
        return writer.size();
      } catch (WriteConflictException e) {
        // Another instance took a chunk of this upload at the same offset, as two requests at once on one
        // instance would be refused: the client's upload went wrong, storage did not.
        throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID,
            "upload " + uuid + " was written by another request at the same offset");
      } finally {
        close();
      }
    }

    /**
     * Ends this append. Bytes already written stay; the upload can go on from its new offset. Without a commit, the
     * running hash is dropped: whether the bytes it took in were stored is not known here.
     */
    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      try {
        if (!committed) {
          dropHash();
        }
        writer.close();
      } finally {
        busy.remove(uuid);
      }
    }

    private void dropHash() {
      hash = null;
      hashes.invalidate(uuid);
    }
  }

  /** A hash of an upload's first {@code offset} bytes. */
  private static final class RunningHash {
    final DigestAlgorithm algorithm;
    final MessageDigest md;
    long offset;

    RunningHash(DigestAlgorithm algorithm) {
      this.algorithm = algorithm;
      this.md = algorithm.newMessageDigest();
    }

    synchronized void update(ByteBuffer bytes) {
      offset += bytes.remaining();
      md.update(bytes);
    }

    synchronized Digest snapshot() {
      try {
        return Digest.finish(algorithm, (MessageDigest) md.clone());
      } catch (CloneNotSupportedException e) {
        throw new IllegalStateException("JDK SHA digests are cloneable", e);
      }
    }
  }
}
