package io.berth.storage;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Appends to one stored file; see {@link StorageDriver#appender}. Closing without commit keeps every committed
 * byte and then a prefix of what was written since: all of it, some or none (a backend may upload only at
 * commit), durable or not. The next writer's {@link #size} says where the file ends.
 */
public interface FileWriter extends AutoCloseable {

  /** Writes all of {@code src}. */
  void write(ByteBuffer src) throws IOException;

  /** The file's size, including what this writer wrote. */
  long size();

  /**
   * Makes everything written visible, to readers and to the next writer; durable once the file is moved (see
   * {@link StorageDriver#appender}).
   *
   * @throws WriteConflictException when another writer (another process) appended at the same offset first: nothing
   *     this writer wrote since its last commit was kept
   */
  void commit() throws IOException;

  @Override
  void close() throws IOException;
}
