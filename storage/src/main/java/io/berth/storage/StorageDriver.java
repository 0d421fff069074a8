package io.berth.storage;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where the registry keeps its bytes: a small path-to-bytes contract that knows nothing of OCI or HTTP.
 * Paths are relative, '/'-separated, built only by {@link StoragePaths}. Every call may block: callers keep
 * them off event-loop threads.
 *
 * <p>The contract every backend keeps (and the shared contract tests check): a path written with
 * {@link #putContent}, {@link #putScratch}, a committed {@link FileWriter} or {@link #move} is visible whole or not
 * at all. Once {@link #putContent}, {@link #move} or {@link #delete} returns, it survives a crash. Scratch files and
 * appended bytes may not (until they are moved): they hold what a client can send again, an upload in progress, and
 * a disk spared an fsync for each of them is what makes small pushes fast.
 */
public interface StorageDriver {

  /** Size of the file at {@code path}, or empty when there is none. */
  Optional<Long> size(String path) throws IOException;

  /** Whether a file is at {@code path}: cheaper than {@link #size} where a size takes more than one look (S3). */
  default boolean exists(String path) throws IOException {
    return size(path).isPresent();
  }

  /** The whole content of a small file. */
  byte[] getContent(String path) throws IOException, PathNotFoundException;

  /** Writes a small file atomically, replacing what was there; durable when it returns. */
  void putContent(String path, byte[] content) throws IOException;

  /**
   * Writes a small file atomically, as {@link #putContent} does, but a crash may lose it: for state a client can
   * make again (an upload session).
   */
  default void putScratch(String path, byte[] content) throws IOException {
    putContent(path, content);
  }

  /** Opens a file for reading, positioned at {@code offset}. */
  SeekableByteChannel reader(String path, long offset) throws IOException, PathNotFoundException;

  /**
   * Opens a writer that appends to {@code path} (created if missing). What it writes is visible once
   * {@link FileWriter#commit} returns, and durable once the file is moved (or at once, on backends that keep
   * nothing until commit).
   */
  FileWriter appender(String path) throws IOException;

  /** Names of the direct children of a directory, sorted; empty when the directory does not exist. */
  List<String> list(String directory) throws IOException;

  /**
   * Moves a file atomically, replacing any file at {@code destination}. Parent directories are created. The
   * destination is durable when it returns, whether the source was or not.
   *
   * @throws PathNotFoundException when {@code source} does not exist
   */
  void move(String source, String destination) throws IOException;

  /**
   * Moves a file that the caller knows to hold {@code size} bytes, as {@link #move(String, String)} does, but never
   * more than those bytes: of a file that other processes may still append to (an upload written through several
   * instances), exactly its first {@code size} bytes, the ones the caller read or hashed, whatever was appended
   * since. This default, for backends one process uses at a time, checks the size and moves.
   *
   * @throws IOException when the file's first {@code size} bytes can't be moved alone (it is shorter, or holds more
   *     on a backend that can't tell them apart)
   */
  default void move(String source, String destination, long size) throws IOException {
    long actual = size(source).orElseThrow(() -> new PathNotFoundException(source));
    if (actual != size) {
      throw new IOException(source + " has " + actual + " bytes, not " + size);
    }
    move(source, destination);
  }

  /** Deletes a file or a whole directory tree, durably; a missing path is not an error. */
  void delete(String path) throws IOException;

  /** Deletes as {@link #delete} does, but a crash may bring it back: for scratch state. */
  default void deleteScratch(String path) throws IOException {
    delete(path);
  }

  /**
   * A URL a client can fetch the file from directly, valid for a while, when the backend offers one and is set to
   * (S3 with {@code redirect} on: a presigned URL). Blob downloads are then redirected there.
   */
  default Optional<java.net.URI> directUrl(String path) {
    return Optional.empty();
  }

  /** A local file for zero-copy transfer, when this backend keeps files on a local filesystem. */
  default Optional<Path> localFile(String path) {
    return Optional.empty();
  }
}
