package io.berth.storage.fs;

import io.berth.storage.FileWriter;
import io.berth.storage.PathNotFoundException;
import io.berth.storage.StorageDriver;
import io.berth.storage.StoragePaths;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * Keeps files under a root directory. Every replacement is a write to a temporary file in the target's
 * directory and an atomic rename: a crash leaves the old file or the new one, never a torn one. Durable writes
 * fsync the file before the rename and the directory after it (and each directory they create); scratch writes
 * and appends skip those fsyncs, and a move fsyncs the file it publishes: one fsync for the data and one for each
 * directory entry of an acknowledged object, no more.
 */
public final class FilesystemDriver implements StorageDriver {
  /** Temporary files start with this; {@link #list} hides them. Repository names can't start with '.'. */
  static final String TEMP_PREFIX = ".tmp-";

  private final Path root;

  public FilesystemDriver(Path root) throws IOException {
    this.root = Files.createDirectories(root).toRealPath();
  }

  public Path root() {
    return root;
  }

  @Override
  public String toString() {
    return "filesystem " + root;
  }

  @Override
  public Optional<Long> size(String path) throws IOException {
    try {
      BasicFileAttributes attrs = Files.readAttributes(resolve(path), BasicFileAttributes.class);
      return attrs.isRegularFile() ? Optional.of(attrs.size()) : Optional.empty();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public byte[] getContent(String path) throws IOException {
    Path file = resolve(path);
    try {
      return Files.readAllBytes(file);
    } catch (FileSystemException e) {
      throw missingOr(e, file, path);
    }
  }

  @Override
  public void putContent(String path, byte[] content) throws IOException {
    put(path, content, true);
  }

  @Override
  public void putScratch(String path, byte[] content) throws IOException {
    put(path, content, false);
  }

  private void put(String path, byte[] content, boolean durable) throws IOException {
    Path target = resolve(path);
    Path dir = target.getParent();
    List<Path> toSync = durable ? createDirectories(dir) : createScratchDirectory(dir);
    Path temp = dir.resolve(TEMP_PREFIX + UUID.randomUUID());
    try {
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        if (durable) {
          ch.force(false); // the size is in the data fdatasync flushes; the name is the directory's fsync
        }
      }
      atomicMove(temp, target);
    } finally {
      Files.deleteIfExists(temp);
    }
    if (durable) {
      toSync.add(dir);
      fsyncDirectories(toSync);
    }
  }

  @Override
  public SeekableByteChannel reader(String path, long offset) throws IOException {
    Path file = resolve(path);
    FileChannel ch;
    try {
      ch = FileChannel.open(file, StandardOpenOption.READ);
    } catch (FileSystemException e) {
      throw missingOr(e, file, path);
    }
    try {
      ch.position(offset);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    return ch;
  }

  /**
   * What a failed open means: the path is missing also when a parent is a file ("a/b" with "a" a file), which
   * open() reports as ENOTDIR, a plain FileSystemException, while stat() reports it as missing.
   */
  private static IOException missingOr(FileSystemException e, Path file, String path) {
    return e instanceof NoSuchFileException || Files.notExists(file) ? new PathNotFoundException(path) : e;
  }

  @Override
  public FileWriter appender(String path) throws IOException {
    Path target = resolve(path);
    createScratchDirectory(target.getParent());
    FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    ch.position(ch.size());
    return new Appender(target, ch);
  }

  @Override
  public List<String> list(String directory) throws IOException {
    try (Stream<Path> children = Files.list(resolve(directory))) {
      return children.map(p -> p.getFileName().toString())
          .filter(name -> !name.startsWith(TEMP_PREFIX))
          .sorted()
          .toList();
    } catch (NoSuchFileException | java.nio.file.NotDirectoryException e) {
      return List.of();
    }
  }

  @Override
  public void move(String source, String destination) throws IOException {
    Path from = resolve(source);
    Path to = resolve(destination);
    if (!Files.exists(from)) {
      throw new PathNotFoundException(source);
    }
    List<Path> toSync = createDirectories(to.getParent());
    fdatasync(from); // at once if it was written durably; else what an upload's appends left unflushed
    atomicMove(from, to);
    toSync.add(to.getParent()); // not the source's: its forgetting the file need not be durable
    fsyncDirectories(toSync);
  }

  @Override
  public void delete(String path) throws IOException {
    delete(path, true);
  }

  @Override
  public void deleteScratch(String path) throws IOException {
    delete(path, false);
  }

  private void delete(String path, boolean durable) throws IOException {
    Path target = resolve(path);
    if (!Files.exists(target)) {
      return;
    }
    Files.walkFileTree(target, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
        if (exc instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE;
        }
        throw exc;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
        try {
          Files.deleteIfExists(dir);
        } catch (DirectoryNotEmptyException raced) {
          // Something was written concurrently; leave it.
        }
        return FileVisitResult.CONTINUE;
      }
    });
    Path parent = target.getParent();
    if (durable && parent != null && Files.exists(parent)) {
      fsyncDirectory(parent);
    }
  }

  @Override
  public Optional<Path> localFile(String path) {
    return Optional.of(resolve(path));
  }

  /**
   * Creates missing directories.
   *
   * @return the directories whose entries are new (the parents of those created), for a durable write to fsync
   *     along with its own: a file renamed into a new directory can't be lost with a directory the crash forgot
   */
  private static List<Path> createDirectories(Path dir) throws IOException {
    List<Path> changed = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      changed.addAll(createDirectories(dir.getParent()));
      try {
        Files.createDirectory(dir);
        changed.add(dir.getParent());
      } catch (java.nio.file.FileAlreadyExistsException raced) {
        // made by a concurrent writer just now, which may not have fsynced its entry yet: ours will
        changed.add(dir.getParent());
      }
    }
    return changed;
  }

  /**
   * Creates missing directories for scratch files: only the directory that holds them (an upload's) may be lost in
   * a crash; any other new one is made durable at once, since durable files may go into it later (a repository's
   * directory, made by its first upload, will hold its links).
   */
  private static List<Path> createScratchDirectory(Path dir) throws IOException {
    List<Path> changed = createDirectories(dir);
    if (changed.size() > 1) {
      fsyncDirectories(changed.subList(0, changed.size() - 1)); // all but the entry of dir itself
    }
    return List.of(); // nothing left to fsync
  }

  private static void fsyncDirectories(List<Path> dirs) throws IOException {
    for (Path dir : dirs) {
      fsyncDirectory(dir);
    }
  }

  /**
   * Deletes the temporary files that writers killed mid-write left behind (a crash between write and rename).
   *
   * @return how many were deleted
   */
  public int sweepTemporaryFiles(Duration olderThan) throws IOException {
    Instant cutoff = Instant.now().minus(olderThan);
    int[] swept = {0};
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        if (file.getFileName().toString().startsWith(TEMP_PREFIX) && attrs.lastModifiedTime().toInstant().isBefore(cutoff)
            && Files.deleteIfExists(file)) {
          swept[0]++;
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException exc) {
        return FileVisitResult.CONTINUE; // deleted meanwhile
      }
    });
    return swept[0];
  }

  /** Resolves a storage path under the root, refusing anything that could leave it. */
  private Path resolve(String path) {
    return root.resolve(StoragePaths.requireValid(path));
  }

  private static void atomicMove(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the storage root must be on one filesystem that supports atomic rename", e);
    }
  }

  /** Makes a file's bytes durable, whoever wrote them (fsync works on any descriptor of the file). */
  private static void fdatasync(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ch.force(false);
    }
  }

  /** Makes a rename or a new entry in {@code dir} durable (POSIX needs an fsync of the directory). */
  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some filesystems refuse to open directories; the rename itself is still atomic there.
      if (!(e instanceof NoSuchFileException) && !System.getProperty("os.name").startsWith("Windows")) {
        throw e;
      }
    }
  }

  /**
   * Appends to one file. Every {@link #FLUSH_EVERY} bytes, and at each commit, it starts flushing what was
   * written in the background, so a large upload reaches the disk while it is still arriving (in one body or in
   * many chunks) and the move that publishes it has little left to wait for. Nothing waits for those flushes: a
   * flush has a descriptor of its own, so the writer closes at once, and the move's fdatasync is what durability
   * rests on.
   */
  private static final class Appender implements FileWriter {
    private static final long FLUSH_EVERY = 32L << 20;
    private static final Executor FLUSHER = Executors.newThreadPerTaskExecutor(
        Thread.ofVirtual().name("berth-flush-", 0).factory());

    private final Path file;
    private final FileChannel channel;
    private long unflushed;
    private CompletableFuture<Void> flushing = CompletableFuture.completedFuture(null);

    Appender(Path file, FileChannel channel) {
      this.file = file;
      this.channel = channel;
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
      while (src.hasRemaining()) {
        unflushed += channel.write(src);
      }
      if (unflushed >= FLUSH_EVERY) {
        flushInBackground();
      }
    }

    private void flushInBackground() {
      if (flushing.isDone()) { // else the running one will take most of it, and the move the rest
        unflushed = 0;
        flushing = CompletableFuture.runAsync(() -> {
          try {
            fdatasync(file);
          } catch (IOException e) {
            // an early flush only saves time; the move flushes again and reports failures
          }
        }, FLUSHER);
      }
    }

    @Override
    public long size() {
      try {
        return channel.size();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void commit() {
      if (unflushed > 0) {
        flushInBackground();
      }
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
