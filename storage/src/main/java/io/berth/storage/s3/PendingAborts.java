package io.berth.storage.s3;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Aborts multipart uploads that failed, and keeps asking when S3 won't (it is down or hanging, which is often why
 * the upload failed): the parts of a failed upload would otherwise stay in the bucket, invisible and billed, once S3
 * is back. The first try is made at once by the caller's thread; retries run in the background, the first after a
 * second, each after twice the wait of the one before, up to 5 minutes between tries, for as long as the process
 * runs. A restart forgets them: the bucket's lifecycle rule for incomplete multipart uploads is the backstop.
 */
final class PendingAborts implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PendingAborts.class);
  static final Duration FIRST_RETRY = Duration.ofSeconds(1);
  static final Duration LONGEST_WAIT = Duration.ofMinutes(5);
  /** Beyond this many waiting, new ones are left to the lifecycle rule. */
  static final int MAX_PENDING = 10_000;

  private final S3Client client;
  private final String bucket;
  private final AtomicInteger pending = new AtomicInteger();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
      task -> Thread.ofPlatform().daemon().name("berth-s3-aborts").unstarted(task));

  PendingAborts(S3Client client, String bucket) {
    this.client = client;
    this.bucket = bucket;
  }

  /** Aborts the upload now; when S3 fails to, again later until it does. */
  void abort(String key, String uploadId) {
    if (tryAbort(key, uploadId)) {
      return;
    }
    if (pending.incrementAndGet() > MAX_PENDING) {
      pending.decrementAndGet();
      log.warn("multipart upload {} of {} left open: S3 refused to abort it, and {} others wait for S3", uploadId, key,
          MAX_PENDING);
      return;
    }
    retryLater(key, uploadId, FIRST_RETRY);
  }

  /** Aborts waiting for a retry. */
  int pending() {
    return pending.get();
  }

  private void retryLater(String key, String uploadId, Duration wait) {
    try {
      timer.schedule(() -> {
        if (tryAbort(key, uploadId)) {
          pending.decrementAndGet();
          log.info("aborted multipart upload {} of {}, which S3 would not abort before", uploadId, key);
        } else {
          Duration next = wait.multipliedBy(2);
          retryLater(key, uploadId, next.compareTo(LONGEST_WAIT) > 0 ? LONGEST_WAIT : next);
        }
      }, wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closed) {
      // the driver is closing: left to the lifecycle rule
    }
  }

  private boolean tryAbort(String key, String uploadId) {
    try {
      client.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
      return true;
    } catch (NoSuchUploadException gone) {
      return true;
    } catch (S3Exception e) {
      return e.statusCode() == 404;
    } catch (RuntimeException e) {
      return false; // S3 unreachable; or an SDK problem, which a retry may not fix either, but costs little
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
