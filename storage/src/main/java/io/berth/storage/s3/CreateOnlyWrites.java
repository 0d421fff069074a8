package io.berth.storage.s3;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Writes that must not replace an object already at their key (segments, the marker that creates an appended file):
 * they send {@code If-None-Match: *}. A store that answers such a request with 501 Not Implemented gets
 * unconditional writes from then on, with one warning: two Berth instances writing the same upload at once can then
 * replace each other's bytes, which the registry's digest check still catches.
 */
final class CreateOnlyWrites {
  private static final Logger log = LoggerFactory.getLogger(CreateOnlyWrites.class);

  private final AtomicBoolean supported = new AtomicBoolean(true);

  /**
   * Runs a write, given {@code "*"} to send as {@code If-None-Match} (or null once the store has refused it).
   *
   * @return false when an object was already at the key, and nothing was written
   */
  boolean create(Consumer<String> write) {
    boolean conditional = supported.get();
    try {
      write.accept(conditional ? "*" : null);
      return true;
    } catch (S3Exception e) {
      if (conditional && (e.statusCode() == 412 || e.statusCode() == 409)) {
        return false; // 412: an object is there; 409: a conditional write to the same key raced ours (AWS), and won
      }
      if (conditional && e.statusCode() == 501) {
        if (supported.compareAndSet(true, false)) {
          log.warn("the S3 store does not take If-None-Match on writes ({}): appends to one upload through two"
              + " Berth instances at once can now replace each other's bytes", e.getMessage());
        }
        write.accept(null);
        return true;
      }
      throw e;
    }
  }
}
