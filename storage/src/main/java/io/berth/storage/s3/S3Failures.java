package io.berth.storage.s3;

import io.berth.storage.PathNotFoundException;
import java.io.IOException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Turns the SDK's unchecked exceptions into the {@link IOException}s the storage contract speaks, so a failing
 * S3 is a storage error to the registry (a 503 to the client), never a crash. The SDK has already retried what
 * it could (throttling, 5xx, broken connections) with backoff.
 */
final class S3Failures {
  private S3Failures() {}

  static IOException io(String what, RuntimeException e) {
    if (e instanceof NoSuchKeyException || (e instanceof S3Exception s3 && s3.statusCode() == 404)) {
      return new PathNotFoundException(what);
    }
    if (e instanceof SdkException) {
      return new IOException("S3 " + what + " failed: " + e.getMessage(), e);
    }
    throw e; // a bug of ours, not a storage failure
  }

  static boolean notFound(RuntimeException e) {
    return e instanceof NoSuchKeyException || (e instanceof S3Exception s3 && s3.statusCode() == 404);
  }
}
