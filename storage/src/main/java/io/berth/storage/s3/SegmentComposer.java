package io.berth.storage.s3;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Makes one object out of pieces of others (the segments of an appended file), server-side where S3 allows it:
 * a single piece is one copy; pieces of at least 5 MiB become the parts of a multipart upload copied part by part
 * ({@code UploadPartCopy}), so no byte passes through this process. Smaller pieces in the middle (a client that
 * sent tiny chunks) can't be parts, and are streamed through instead.
 */
final class SegmentComposer {
  private static final long MIN_PART = (long) S3Settings.MIN_PART_MIB << 20;

  private final S3Client client;
  private final String bucket;
  private final S3Settings settings;
  private final ExecutorService executor;
  private final PendingAborts aborts;

  SegmentComposer(S3Client client, String bucket, S3Settings settings, ExecutorService executor,
      PendingAborts aborts) {
    this.client = client;
    this.bucket = bucket;
    this.settings = settings;
    this.executor = executor;
    this.aborts = aborts;
  }

  void compose(List<S3ReadChannel.Piece> pieces, String destination) throws IOException {
    if (pieces.size() == 1 && pieces.get(0).length() <= S3Driver.MAX_COPY) {
      S3ReadChannel.Piece only = pieces.get(0);
      try {
        client.copyObject(b -> b.sourceBucket(bucket).sourceKey(only.key()).destinationBucket(bucket)
            .destinationKey(destination).overrideConfiguration(S3Driver.BULK));
        return;
      } catch (RuntimeException e) {
        throw S3Failures.io("COPY " + only.key(), e);
      }
    }
    boolean partsAllowed = !pieces.isEmpty();
    for (int i = 0; i < pieces.size() - 1; i++) {
      partsAllowed &= pieces.get(i).length() >= MIN_PART;
    }
    if (partsAllowed) {
      try {
        copyParts(pieces, destination);
        return;
      } catch (RuntimeException e) {
        if (!(e instanceof S3Exception s3) || s3.statusCode() != 501) {
          throw S3Failures.io("multipart copy to " + destination, e);
        }
        // a store without UploadPartCopy: stream instead
      }
    }
    stream(pieces, destination);
  }

  private void copyParts(List<S3ReadChannel.Piece> pieces, String destination) throws IOException {
    String uploadId = client.createMultipartUpload(b -> b.bucket(bucket).key(destination)).uploadId();
    boolean completed = false;
    try {
      List<Future<CompletedPart>> parts = new ArrayList<>();
      Semaphore slots = new Semaphore(settings.concurrency());
      int number = 0;
      for (S3ReadChannel.Piece piece : pieces) {
        long count = Math.max(1, (piece.length() + S3Driver.MAX_COPY - 1) / S3Driver.MAX_COPY);
        long each = (piece.length() + count - 1) / count;
        for (long from = 0; from < piece.length(); from += each) {
          int partNumber = ++number;
          String range = "bytes=" + from + "-" + (Math.min(from + each, piece.length()) - 1);
          acquire(slots);
          parts.add(executor.submit(() -> {
            try {
              String etag = client.uploadPartCopy(b -> b.sourceBucket(bucket).sourceKey(piece.key())
                  .copySourceRange(range).destinationBucket(bucket).destinationKey(destination)
                  .uploadId(uploadId).partNumber(partNumber).overrideConfiguration(S3Driver.BULK))
                  .copyPartResult().eTag();
              return CompletedPart.builder().partNumber(partNumber).eTag(etag).build();
            } finally {
              slots.release();
            }
          }));
        }
      }
      List<CompletedPart> done = new ArrayList<>();
      for (Future<CompletedPart> part : parts) {
        done.add(await(part));
      }
      done.sort(Comparator.comparing(CompletedPart::partNumber));
      client.completeMultipartUpload(b -> b.bucket(bucket).key(destination).uploadId(uploadId)
          .multipartUpload(CompletedMultipartUpload.builder().parts(done).build())
          .overrideConfiguration(S3Driver.BULK));
      completed = true;
    } finally {
      if (!completed) {
        aborts.abort(destination, uploadId); // and again later, if S3 won't now
      }
    }
  }

  private void stream(List<S3ReadChannel.Piece> pieces, String destination) throws IOException {
    try (ObjectSink sink = new ObjectSink(client, bucket, destination, settings.partSize(), settings.concurrency(),
        executor, aborts); S3ReadChannel in = new S3ReadChannel(client, bucket, pieces, 0)) {
      ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
      while (in.read(buffer) >= 0) {
        buffer.flip();
        sink.write(buffer);
        buffer.clear();
      }
      sink.finish();
    }
  }

  private static void acquire(Semaphore slots) throws IOException {
    try {
      slots.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static CompletedPart await(Future<CompletedPart> part) throws IOException {
    try {
      return part.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof S3Exception s3) {
        throw s3; // lets compose() fall back to streaming on 501
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw S3Failures.io("part copy", r);
      }
      throw new IOException("part copy failed", e.getCause());
    }
  }
}
