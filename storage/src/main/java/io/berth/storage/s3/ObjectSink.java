package io.berth.storage.s3;

import io.berth.storage.WriteConflictException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * Streams one object into S3 whatever its size, in bounded memory. Bytes are staged in a local temporary file per
 * part (the page cache holds them, not the heap); a full part is uploaded in the background while the next one
 * fills, up to {@code concurrency} at once, and the writer waits when that many are in flight. An object smaller
 * than a part goes up in a single PUT; a larger one is a multipart upload. Nothing is visible under the key until
 * {@link #finish} returns; {@link #abort} leaves nothing behind. Once a part has failed (S3 refused it after the
 * SDK's retries), every further write fails too, so a client streaming a large body learns at once that it is lost
 * instead of after sending the rest of it.
 *
 * <p>A create-only sink (the segments of an appended file) sends {@code If-None-Match: *} with the PUT or the
 * completion, so it never replaces an object already at its key: when two writers in two processes append at the
 * same offset, the second one's {@link #finish} fails instead of silently swapping the bytes under the first (whose
 * process may have hashed them); see {@link CreateOnlyWrites}.
 */
final class ObjectSink implements AutoCloseable {
  /** S3 allows no more parts than this in one upload. */
  private static final int MAX_PARTS = 10_000;

  private final S3Client client;
  private final String bucket;
  private final String key;
  private final long partSize;
  private final ExecutorService uploads;
  private final PendingAborts aborts;
  private final Semaphore slots;
  /** Null: replace what is at the key; else never replace it (shared per driver). */
  private final CreateOnlyWrites createOnly;
  private final List<Future<CompletedPart>> parts = new ArrayList<>();
  private final List<Path> stagedFiles = new ArrayList<>();
  /** Why the first part that failed failed; null while none has. */
  private final AtomicReference<Throwable> partFailure = new AtomicReference<>();
  private String uploadId;
  private Path partFile;
  private FileChannel partChannel;
  private long partBytes;
  private long size;
  private boolean done;

  ObjectSink(S3Client client, String bucket, String key, long partSize, int concurrency, ExecutorService uploads,
      PendingAborts aborts) {
    this(client, bucket, key, partSize, concurrency, uploads, aborts, null);
  }

  /** @param createOnly null to replace any object at the key; else fail rather than replace (see above) */
  ObjectSink(S3Client client, String bucket, String key, long partSize, int concurrency, ExecutorService uploads,
      PendingAborts aborts, CreateOnlyWrites createOnly) {
    this.createOnly = createOnly;
    this.client = client;
    this.bucket = bucket;
    this.key = key;
    this.partSize = partSize;
    this.uploads = uploads;
    this.aborts = aborts;
    this.slots = new Semaphore(concurrency);
  }

  long size() {
    return size;
  }

  void write(ByteBuffer src) throws IOException {
    failIfAPartFailed();
    while (src.hasRemaining()) {
      if (partChannel == null) {
        partFile = Files.createTempFile("berth-part-", ".tmp"); // readable by us only
        stagedFiles.add(partFile);
        partChannel = FileChannel.open(partFile, StandardOpenOption.WRITE);
        partBytes = 0;
      }
      ByteBuffer slice = src.slice();
      int n = (int) Math.min(slice.remaining(), partSize - partBytes);
      slice.limit(n);
      while (slice.hasRemaining()) {
        partChannel.write(slice);
      }
      src.position(src.position() + n);
      partBytes += n;
      size += n;
      if (partBytes == partSize) {
        sendPart();
      }
    }
  }

  /**
   * Uploads what is staged and makes the object visible, whole.
   *
   * @throws ObjectExistsException when create-only and an object is already at the key
   */
  void finish() throws IOException {
    try {
      failIfAPartFailed();
      if (uploadId == null) {
        closePartChannel();
        conditionally(this::putWhole);
      } else {
        if (partChannel != null && partBytes > 0) {
          sendPart();
        }
        List<CompletedPart> completed = new ArrayList<>();
        for (Future<CompletedPart> part : parts) {
          completed.add(await(part));
        }
        completed.sort(Comparator.comparing(CompletedPart::partNumber));
        // A refused completion leaves the upload open, so it can be completed again unconditionally.
        conditionally(ifNoneMatch -> client.completeMultipartUpload(CompleteMultipartUploadRequest.builder()
            .bucket(bucket).key(key).uploadId(uploadId).ifNoneMatch(ifNoneMatch).overrideConfiguration(S3Driver.BULK)
            .multipartUpload(CompletedMultipartUpload.builder().parts(completed).build()).build()));
      }
      done = true;
    } catch (RuntimeException e) {
      throw S3Failures.io("upload of " + key, e);
    } finally {
      if (!done) {
        abort();
      }
      deleteStaged();
    }
  }

  /** Runs the write that makes the object visible, create-only if this sink is. */
  private void conditionally(java.util.function.Consumer<String> write) throws ObjectExistsException {
    if (createOnly == null) {
      write.accept(null);
    } else if (!createOnly.create(write)) {
      throw new ObjectExistsException(key);
    }
  }

  private void putWhole(String ifNoneMatch) {
    PutObjectRequest put = PutObjectRequest.builder().bucket(bucket).key(key).ifNoneMatch(ifNoneMatch)
        .overrideConfiguration(S3Driver.BULK).build();
    if (partFile == null) {
      client.putObject(put, RequestBody.empty());
    } else {
      client.putObject(put, RequestBody.fromFile(partFile));
    }
  }

  /** A create-only write found an object at its key. */
  static final class ObjectExistsException extends WriteConflictException {
    ObjectExistsException(String key) {
      super("an object is already at " + key + ": another writer appended at the same offset");
    }
  }

  private void sendPart() throws IOException {
    closePartChannel();
    try {
      if (uploadId == null) {
        uploadId = client.createMultipartUpload(CreateMultipartUploadRequest.builder().bucket(bucket).key(key).build())
            .uploadId();
      }
    } catch (RuntimeException e) {
      throw S3Failures.io("multipart upload of " + key, e);
    }
    int number = parts.size() + 1;
    if (number > MAX_PARTS) {
      throw new IOException("object " + key + " needs more than " + MAX_PARTS + " parts: raise the part size");
    }
    Path file = partFile;
    long length = partBytes;
    partFile = null;
    try {
      slots.acquire(); // backpressure: at most `concurrency` parts in flight
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    parts.add(uploads.submit(() -> {
      try {
        String etag = client.uploadPart(UploadPartRequest.builder().bucket(bucket).key(key).uploadId(uploadId)
            .overrideConfiguration(S3Driver.BULK).partNumber(number).contentLength(length).build(),
            RequestBody.fromFile(file)).eTag();
        return CompletedPart.builder().partNumber(number).eTag(etag).build();
      } catch (RuntimeException | Error e) {
        partFailure.compareAndSet(null, e);
        throw e;
      } finally {
        slots.release();
        Files.deleteIfExists(file);
      }
    }));
  }

  private void failIfAPartFailed() throws IOException {
    Throwable failure = partFailure.get();
    if (failure instanceof RuntimeException e) {
      throw S3Failures.io("part upload of " + key, e);
    }
    if (failure != null) {
      throw new IOException("part upload of " + key + " failed", failure);
    }
  }

  private static CompletedPart await(Future<CompletedPart> part) throws IOException {
    try {
      return part.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw S3Failures.io("part upload", r);
      }
      throw new IOException("part upload failed", e.getCause());
    }
  }

  private void closePartChannel() throws IOException {
    if (partChannel != null) {
      partChannel.close();
      partChannel = null;
    }
  }

  /** Drops everything: staged files and any multipart upload begun. */
  void abort() {
    done = true;
    for (Future<CompletedPart> part : parts) {
      part.cancel(true);
    }
    if (uploadId != null) {
      aborts.abort(key, uploadId); // and again later, if S3 won't now
    }
    deleteStaged();
  }

  private void deleteStaged() {
    try {
      closePartChannel();
    } catch (IOException ignored) {
      // deleting anyway
    }
    for (Path file : stagedFiles) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // a leftover temp file
      }
    }
    stagedFiles.clear();
  }

  @Override
  public void close() {
    if (!done) {
      abort();
    }
  }
}
