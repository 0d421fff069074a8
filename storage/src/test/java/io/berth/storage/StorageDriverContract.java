package io.berth.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract every {@link StorageDriver} keeps. A backend's test extends this class and says how to make a
 * fresh, empty driver; every test here then runs against it unchanged.
 *
 * <p>Sizes are chosen for object stores too: chunks below, at and above S3's 5 MiB minimum part size, more than
 * the 1,000 keys S3 lists or deletes per request, readers closed early more often than a connection pool has
 * connections. A test that hangs (a leaked connection, say) fails at the timeout instead.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
public abstract class StorageDriverContract {
  private static final int MIB = 1 << 20;

  protected StorageDriver driver;

  /** A new driver over empty storage. */
  protected abstract StorageDriver newDriver() throws Exception;

  /**
   * Another driver over the storage the last {@link #newDriver} made, as another Berth process over the same
   * storage would have.
   */
  protected abstract StorageDriver newDriverOverTheSameStorage() throws Exception;

  @BeforeEach
  void createDriver() throws Exception {
    driver = newDriver();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void putThenGetReturnsTheSameBytes() throws IOException {
    driver.putContent("a/b/c", utf8("hello"));
    assertArrayEquals(utf8("hello"), driver.getContent("a/b/c"));
    assertEquals(Optional.of(5L), driver.size("a/b/c"));
  }

  @Test
  void putReplacesWholeContent() throws IOException {
    driver.putContent("f", utf8("a much longer first version"));
    driver.putContent("f", utf8("short"));
    assertEquals(Optional.of(5L), driver.size("f"));
    assertArrayEquals(utf8("short"), driver.getContent("f"));
  }

  @Test
  void emptyContentIsAFile() throws IOException {
    driver.putContent("empty", new byte[0]);
    assertEquals(Optional.of(0L), driver.size("empty"));
    assertTrue(driver.exists("empty"));
    assertArrayEquals(new byte[0], driver.getContent("empty"));
  }

  @Test
  void missingPathsAreReportedAsMissing() throws IOException {
    assertEquals(Optional.empty(), driver.size("nope"));
    assertFalse(driver.exists("nope"));
    assertThrows(PathNotFoundException.class, () -> driver.getContent("nope"));
    assertThrows(PathNotFoundException.class, () -> driver.reader("nope", 0));
    assertEquals(List.of(), driver.list("nope"));
  }

  @Test
  void aDirectoryHasNoSize() throws IOException {
    driver.putContent("dir/file", utf8("x"));
    assertEquals(Optional.empty(), driver.size("dir"));
    assertFalse(driver.exists("dir"));
  }

  @Test
  void readerStartsAtTheOffset() throws IOException {
    driver.putContent("r", utf8("0123456789"));
    try (SeekableByteChannel ch = driver.reader("r", 4)) {
      ByteBuffer buf = ByteBuffer.allocate(100);
      while (ch.read(buf) >= 0) {
        // read to the end
      }
      buf.flip();
      assertEquals("456789", StandardCharsets.UTF_8.decode(buf).toString());
    }
  }

  @Test
  void appendersAddToTheEndAcrossWriters() throws IOException {
    try (FileWriter w = driver.appender("up/data")) {
      w.write(ByteBuffer.wrap(utf8("abc")));
      w.commit();
      assertEquals(3, w.size());
    }
    try (FileWriter w = driver.appender("up/data")) {
      assertEquals(3, w.size());
      w.write(ByteBuffer.wrap(utf8("def")));
      w.commit();
      assertEquals(6, w.size());
    }
    assertArrayEquals(utf8("abcdef"), driver.getContent("up/data"));
  }

  @Test
  void listGivesDirectChildrenSorted() throws IOException {
    driver.putContent("d/b", utf8("1"));
    driver.putContent("d/a/x", utf8("2"));
    driver.putContent("d/c", utf8("3"));
    assertEquals(List.of("a", "b", "c"), driver.list("d"));
  }

  @Test
  void moveReplacesTheDestination() throws IOException {
    driver.putContent("src", utf8("new"));
    driver.putContent("deep/dst", utf8("old"));
    driver.move("src", "deep/dst");
    assertArrayEquals(utf8("new"), driver.getContent("deep/dst"));
    assertEquals(Optional.empty(), driver.size("src"));
  }

  @Test
  void moveCreatesParentDirectories() throws IOException {
    driver.putContent("src", utf8("x"));
    driver.move("src", "x/y/z/dst");
    assertArrayEquals(utf8("x"), driver.getContent("x/y/z/dst"));
  }

  @Test
  void moveOfAMissingSourceFails() {
    assertThrows(PathNotFoundException.class, () -> driver.move("nothing", "dst"));
  }

  @Test
  void deleteRemovesWholeTrees() throws IOException {
    driver.putContent("t/a/1", utf8("1"));
    driver.putContent("t/b/2", utf8("2"));
    driver.putContent("keep", utf8("k"));
    driver.delete("t");
    assertEquals(List.of(), driver.list("t"));
    assertEquals(Optional.empty(), driver.size("t/a/1"));
    assertArrayEquals(utf8("k"), driver.getContent("keep"));
    driver.delete("t"); // missing: no error
  }

  @Test
  void pathsThatCouldEscapeAreRefused() {
    for (String bad : List.of("../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "")) {
      assertThrows(IllegalArgumentException.class, () -> driver.putContent(bad, utf8("x")), bad);
      assertThrows(IllegalArgumentException.class, () -> driver.size(bad), bad);
    }
  }

  @Test
  void concurrentWritersToOneKeyLeaveOneWholeValue() throws Exception {
    int writers = 8;
    Set<String> written = new java.util.HashSet<>();
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        String value = String.valueOf(i).repeat(10_000 + i);
        written.add(value);
        futures.add(pool.submit(() -> {
          for (int round = 0; round < 20; round++) {
            driver.putContent("contended", utf8(value));
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    String result = new String(driver.getContent("contended"), StandardCharsets.UTF_8);
    assertTrue(written.contains(result), "the value is one writer's, whole");
  }

  @Test
  void largeObjectsStreamThroughIntact() throws Exception {
    MessageDigest in = MessageDigest.getInstance("SHA-256");
    Random random = new Random(42);
    byte[] chunk = new byte[1 << 20];
    try (FileWriter w = driver.appender("large")) {
      for (int i = 0; i < 64; i++) {
        random.nextBytes(chunk);
        in.update(chunk);
        w.write(ByteBuffer.wrap(chunk));
      }
      w.commit();
    }
    assertEquals(Optional.of(64L << 20), driver.size("large"));
    MessageDigest out = MessageDigest.getInstance("SHA-256");
    try (SeekableByteChannel ch = driver.reader("large", 0)) {
      ByteBuffer buf = ByteBuffer.allocate(1 << 16);
      while (ch.read(buf) >= 0) {
        buf.flip();
        out.update(buf);
        buf.clear();
      }
    }
    assertArrayEquals(in.digest(), out.digest());
  }

  // ---------------------------------------------------------------------------------------------------------
  // Ranged reads

  @Test
  void aReaderAtAnyOffsetReadsTheRestAndAtOrPastTheEndReadsNothing() throws IOException {
    byte[] content = randomBytes(1, 1000);
    driver.putContent("r", content);
    for (int offset : new int[] {0, 1, 499, 999}) {
      assertArrayEquals(Arrays.copyOfRange(content, offset, content.length), readFrom("r", offset), "offset " + offset);
    }
    for (long offset : new long[] {1000, 1001, 1L << 40}) {
      try (SeekableByteChannel ch = driver.reader("r", offset)) {
        assertEquals(-1, ch.read(ByteBuffer.allocate(10)), "offset " + offset + ": end of stream, not an error");
      }
    }
    driver.putContent("empty", new byte[0]);
    try (SeekableByteChannel ch = driver.reader("empty", 0)) {
      assertEquals(-1, ch.read(ByteBuffer.allocate(10)));
    }
  }

  @Test
  void readersClosedEarlyLeaveNothingBehind() throws IOException {
    // What a ranged GET does: read a part, close. More times than a connection pool holds connections: a reader
    // that keeps its connection (or drains the rest of the file into it) shows here as a hang or a slow test.
    byte[] content = randomBytes(2, 6 * MIB);
    appendInOneWriter("early", content);
    for (int i = 0; i < 64; i++) {
      int offset = i * 90_000;
      try (SeekableByteChannel ch = driver.reader("early", offset)) {
        assertArrayEquals(Arrays.copyOfRange(content, offset, offset + 1000), readUpTo(ch, 1000), "offset " + offset);
      }
    }
    driver.putContent("after", utf8("still serving"));
    assertArrayEquals(utf8("still serving"), driver.getContent("after"));
    assertArrayEquals(sha256(content), sha256Of("early"));
  }

  @Test
  void readersOpenAtOnceReadIndependently() throws Exception {
    byte[] content = randomBytes(3, 3 * MIB + 17);
    appendInOneWriter("shared", content);
    ByteArrayOutputStream fromStart = new ByteArrayOutputStream();
    ByteArrayOutputStream fromOneMib = new ByteArrayOutputStream();
    try (SeekableByteChannel a = driver.reader("shared", 0); SeekableByteChannel b = driver.reader("shared", MIB)) {
      boolean aDone = false;
      boolean bDone = false;
      while (!aDone || !bDone) { // interleaved, 64 KiB at a time
        aDone = aDone || !readChunk(a, fromStart);
        bDone = bDone || !readChunk(b, fromOneMib);
      }
    }
    assertArrayEquals(content, fromStart.toByteArray());
    assertArrayEquals(Arrays.copyOfRange(content, MIB, content.length), fromOneMib.toByteArray());

    List<Callable<Void>> readers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      int offset = i * 700_001;
      readers.add(() -> {
        assertArrayEquals(Arrays.copyOfRange(content, offset, content.length), readFrom("shared", offset), "offset " + offset);
        return null;
      });
    }
    inParallel(4, readers);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Listing

  @Test
  void moreThanAThousandChildrenAreListedWholeAndDeletedWhole() throws Exception {
    // S3 lists and deletes at most 1,000 keys a request: more than that of both files and directories here, so
    // a driver must page through both without losing or repeating a child.
    List<String> expected = new ArrayList<>();
    List<Callable<Void>> writes = new ArrayList<>();
    for (int i = 0; i < 1_010; i++) {
      String file = String.format("f%04d", i);
      String dir = String.format("d%04d", i);
      expected.add(file);
      expected.add(dir);
      byte[] content = {(byte) i};
      writes.add(() -> {
        driver.putContent("many/" + file, content);
        return null;
      });
      writes.add(() -> {
        driver.putContent("many/" + dir + "/x", content);
        if (content[0] % 100 == 0) {
          driver.putContent("many/" + dir + "/sub/y", content);
        }
        return null;
      });
    }
    inParallel(4, writes);
    Collections.sort(expected);
    List<String> listed = driver.list("many");
    assertEquals(expected.size(), listed.size(), "each child once");
    assertEquals(expected, listed);
    assertEquals(List.of("sub", "x"), driver.list("many/d0000"), "a directory is one child, whatever it holds");

    driver.delete("many");
    assertEquals(List.of(), driver.list("many"));
    assertEquals(Optional.empty(), driver.size("many/f0000"));
    assertEquals(Optional.empty(), driver.size("many/f1009"));
    assertEquals(Optional.empty(), driver.size("many/d1000/sub/y"));
  }

  @Test
  void listTellsApartNamesThatShareAPrefix() throws IOException {
    for (String path : List.of("p/a/x", "p/a/y/z", "p/a-b/q", "p/ab/r", "p/a.c", "p/a-", "p/b")) {
      driver.putContent(path, utf8(path));
    }
    assertEquals(List.of("a", "a-", "a-b", "a.c", "ab", "b"), driver.list("p"));
    assertEquals(List.of("x", "y"), driver.list("p/a"));
    assertEquals(List.of("z"), driver.list("p/a/y"));
    assertEquals(List.of("q"), driver.list("p/a-b"));
    assertEquals(List.of("r"), driver.list("p/ab"));
    assertEquals(List.of(), driver.list("p/a.c"), "a file has no children");
    assertEquals(List.of(), driver.list("p/a-"));
    assertEquals(List.of(), driver.list("p/a/x"));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Deletes

  @Test
  void deleteOfAFileTakesOnlyThatFile() throws IOException {
    driver.putContent("t/a", utf8("a"));
    driver.putContent("t/b", utf8("b"));
    driver.delete("t/a");
    assertEquals(Optional.empty(), driver.size("t/a"));
    assertThrows(PathNotFoundException.class, () -> driver.getContent("t/a"));
    assertThrows(PathNotFoundException.class, () -> driver.reader("t/a", 0));
    assertEquals(List.of("b"), driver.list("t"));
    assertArrayEquals(utf8("b"), driver.getContent("t/b"));
  }

  @Test
  void deleteLeavesPathsWhoseNamesItPrefixes() throws IOException {
    for (String path : List.of("t/x", "t/xy", "t/x-y/1", "t/x.z", "u/x/1", "u/x/2/3", "u/xy", "u/x-y/1", "u/x.z")) {
      driver.putContent(path, utf8(path));
    }
    driver.delete("t/x"); // a file
    assertEquals(List.of("x-y", "x.z", "xy"), driver.list("t"));
    driver.delete("u/x"); // a directory
    assertEquals(List.of("x-y", "x.z", "xy"), driver.list("u"));
    for (String kept : List.of("t/xy", "t/x-y/1", "t/x.z", "u/xy", "u/x-y/1", "u/x.z")) {
      assertArrayEquals(utf8(kept), driver.getContent(kept), kept);
    }
  }

  @Test
  void deleteOfMissingPathsIsNoError() throws IOException {
    driver.putContent("d/f", utf8("f"));
    for (String missing : List.of("nothing", "d/none", "d/none/deeper", "d/f/below")) {
      driver.delete(missing);
    }
    assertArrayEquals(utf8("f"), driver.getContent("d/f"));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Moves

  @Test
  void moveOfALargeFileKeepsEveryByteAndLeavesNothingBehind() throws Exception {
    MessageDigest in = MessageDigest.getInstance("SHA-256");
    try (FileWriter w = driver.appender("big/src")) {
      for (int i = 0; i < 10; i++) {
        byte[] chunk = randomBytes(100 + i, 4 * MIB);
        in.update(chunk);
        w.write(ByteBuffer.wrap(chunk));
      }
      w.commit();
    }
    driver.putContent("big/dst", utf8("replaced"));
    driver.move("big/src", "big/dst");
    assertEquals(Optional.of(40L * MIB), driver.size("big/dst"));
    assertArrayEquals(in.digest(), sha256Of("big/dst"));
    assertEquals(Optional.empty(), driver.size("big/src"));
    assertThrows(PathNotFoundException.class, () -> driver.reader("big/src", 0));
    assertEquals(List.of("dst"), driver.list("big"));
  }

  @Test
  void moveOfAnEmptyFile() throws IOException {
    driver.putContent("e/put", new byte[0]);
    driver.move("e/put", "e/put-moved");
    assertEquals(Optional.of(0L), driver.size("e/put-moved"));
    assertArrayEquals(new byte[0], driver.getContent("e/put-moved"));
    try (FileWriter w = driver.appender("e/appended")) {
      w.commit();
    }
    driver.move("e/appended", "e/appended-moved");
    assertEquals(Optional.of(0L), driver.size("e/appended-moved"));
    assertEquals(List.of("appended-moved", "put-moved"), driver.list("e"));
  }

  @Test
  void aSizedMoveMovesAFileOfThatSizeAndRefusesAnyOther() throws IOException {
    driver.putContent("s/put", utf8("0123456789"));
    appendInOneWriter("s/appended", utf8("0123456789"));
    for (String path : List.of("s/put", "s/appended")) {
      assertThrows(IOException.class, () -> driver.move(path, path + "-moved", 9));
      assertThrows(IOException.class, () -> driver.move(path, path + "-moved", 11));
      assertEquals(Optional.empty(), driver.size(path + "-moved"));
      assertArrayEquals(utf8("0123456789"), driver.getContent(path), "a refused move leaves the source");
      driver.move(path, path + "-moved", 10);
      assertArrayEquals(utf8("0123456789"), driver.getContent(path + "-moved"));
      assertEquals(Optional.empty(), driver.size(path));
    }
    assertThrows(PathNotFoundException.class, () -> driver.move("s/missing", "s/missing-moved", 0));
  }

  @Test
  void moveOfAMissingSourceLeavesTheDestinationAlone() throws IOException {
    driver.putContent("dst", utf8("kept"));
    assertThrows(PathNotFoundException.class, () -> driver.move("missing", "dst"));
    assertArrayEquals(utf8("kept"), driver.getContent("dst"));
  }

  @Test
  void moveTakesOnlyTheFileNotPathsWhoseNamesItPrefixes() throws IOException {
    for (String path : List.of("m/x", "m/xy", "m/x-y/1", "m/x.z")) {
      driver.putContent(path, utf8(path));
    }
    driver.move("m/x", "n/x");
    assertEquals(List.of("x-y", "x.z", "xy"), driver.list("m"));
    assertEquals(List.of("x"), driver.list("n"));
    assertArrayEquals(utf8("m/x"), driver.getContent("n/x"));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Appending: chunked and multipart writes

  @Test
  void appendsAcrossWritersAndChunkSizesAddUpByteForByte() throws Exception {
    // An upload as UploadService makes it: each PATCH opens a writer that appends, commits and closes, and the
    // next one (maybe in another process) goes on from the size it finds. Chunks below, at and above 5 MiB.
    int[][] sessions = {{MIB}, {6 * MIB}, {100}, {12 * MIB}, {5 * MIB - 1, 1, 5 * MIB + 1, 100}};
    MessageDigest all = MessageDigest.getInstance("SHA-256");
    long expected = 0;
    long seed = 10;
    for (int[] writes : sessions) {
      try (FileWriter w = driver.appender("up/data")) {
        assertEquals(expected, w.size(), "a new writer starts at the end");
        for (int n : writes) {
          byte[] chunk = randomBytes(seed++, n);
          w.write(ByteBuffer.wrap(chunk));
          all.update(chunk);
          expected += n;
          assertEquals(expected, w.size(), "the writer's size counts what it wrote");
        }
        w.commit();
        assertEquals(expected, w.size());
        assertEquals(Optional.of(expected), driver.size("up/data"), "committed, so visible, before close");
      }
      assertEquals(Optional.of(expected), driver.size("up/data"));
    }
    byte[] digest = all.digest();
    assertArrayEquals(digest, sha256Of("up/data"));
    driver.move("up/data", "blobs/x/data");
    assertEquals(Optional.of(expected), driver.size("blobs/x/data"));
    assertArrayEquals(digest, sha256Of("blobs/x/data"));
    assertEquals(Optional.empty(), driver.size("up/data"));
  }

  @Test
  void aWriterGoesOnAfterACommit() throws Exception {
    byte[] first = randomBytes(20, 6 * MIB);
    byte[] second = randomBytes(21, 100);
    byte[] third = randomBytes(22, 6 * MIB);
    try (FileWriter w = driver.appender("c")) {
      w.write(ByteBuffer.wrap(first));
      w.commit();
      assertEquals(Optional.of((long) first.length), driver.size("c"));
      w.write(ByteBuffer.wrap(second));
      w.commit();
      assertEquals(Optional.of((long) first.length + second.length), driver.size("c"));
      w.write(ByteBuffer.wrap(third));
      w.commit();
      assertEquals(first.length + second.length + third.length, w.size());
    }
    assertArrayEquals(sha256(first, second, third), sha256Of("c"));
  }

  @Test
  void writesTakeAnyKindOfByteBuffer() throws IOException {
    // Netty hands over direct buffers and slices of larger ones.
    byte[] content = randomBytes(23, 3000);
    try (FileWriter w = driver.appender("buffers")) {
      ByteBuffer direct = ByteBuffer.allocateDirect(1000).put(content, 0, 1000).flip();
      w.write(direct);
      assertEquals(0, direct.remaining(), "write takes all of the buffer");
      ByteBuffer slice = ByteBuffer.wrap(content, 900, 1100).slice().position(100); // content[1000, 2000)
      w.write(slice);
      assertEquals(0, slice.remaining());
      ByteBuffer readOnly = ByteBuffer.wrap(content, 2000, 1000).asReadOnlyBuffer();
      w.write(readOnly);
      assertEquals(0, readOnly.remaining());
      w.commit();
    }
    assertArrayEquals(content, driver.getContent("buffers"));
  }

  @Test
  void anAppenderCommittedWithoutWritesLeavesAnEmptyFile() throws IOException {
    try (FileWriter w = driver.appender("nothing/data")) {
      assertEquals(0, w.size());
      w.commit();
    }
    assertEquals(Optional.of(0L), driver.size("nothing/data"));
    assertTrue(driver.exists("nothing/data"));
    assertArrayEquals(new byte[0], driver.getContent("nothing/data"));
    assertEquals(List.of("data"), driver.list("nothing"));
  }

  @Test
  void aWriterClosedWithoutCommitLeavesTheCommittedBytesAndAtMostWhatItWrote() throws Exception {
    // A client gone mid-PATCH: the writer is closed without commit. FileWriter promises nothing for those bytes:
    // a backend may keep them all (the filesystem), some or none (an object store that uploads at commit).
    // What every backend keeps: all committed bytes, then a prefix of what was written after them; and the next
    // writer goes on from there, as UploadService does when the client resumes from the offset it is told.
    byte[] committed = randomBytes(30, 6 * MIB + 5);
    byte[] uncommitted = randomBytes(31, 6 * MIB + 7);
    appendInOneWriter("u", committed);
    try (FileWriter w = driver.appender("u")) {
      w.write(ByteBuffer.wrap(uncommitted));
    }
    long kept = driver.size("u").orElseThrow();
    assertTrue(kept >= committed.length && kept <= committed.length + uncommitted.length, "kept " + kept);
    byte[] prefix = Arrays.copyOf(concat(committed, uncommitted), (int) kept);
    assertArrayEquals(sha256(prefix), sha256Of("u"));
    byte[] more = randomBytes(32, 1000);
    try (FileWriter w = driver.appender("u")) {
      assertEquals(kept, w.size());
      w.write(ByteBuffer.wrap(more));
      w.commit();
    }
    assertArrayEquals(sha256(prefix, more), sha256Of("u"));

    // A first writer that never commits: no file, an empty one, or a prefix of what it wrote.
    byte[] lost = utf8("never committed");
    try (FileWriter w = driver.appender("v")) {
      w.write(ByteBuffer.wrap(lost));
    }
    long v = driver.size("v").orElse(0L);
    assertTrue(v <= lost.length, "kept " + v);
    if (driver.size("v").isPresent()) {
      assertArrayEquals(Arrays.copyOf(lost, (int) v), driver.getContent("v"));
    }
    try (FileWriter w = driver.appender("v")) {
      assertEquals(v, w.size());
      w.write(ByteBuffer.wrap(utf8("!")));
      w.commit();
    }
    assertArrayEquals(concat(Arrays.copyOf(lost, (int) v), utf8("!")), driver.getContent("v"));
  }

  @Test
  void concurrentAppendersToDifferentKeysKeepTheirOwnBytes() throws Exception {
    int keys = 4;
    byte[][] digests = new byte[keys][];
    List<Callable<Void>> uploads = new ArrayList<>();
    for (int k = 0; k < keys; k++) {
      int key = k;
      uploads.add(() -> {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (int n : new int[] {6 * MIB + key, 100 + key, MIB}) {
          byte[] chunk = randomBytes(40L * key + n, n);
          md.update(chunk);
          appendInOneWriter("par/" + key + "/data", chunk);
        }
        digests[key] = md.digest();
        return null;
      });
    }
    inParallel(keys, uploads);
    for (int k = 0; k < keys; k++) {
      assertEquals(Optional.of(7L * MIB + 100 + 2 * k), driver.size("par/" + k + "/data"));
      assertArrayEquals(digests[k], sha256Of("par/" + k + "/data"), "key " + k);
    }
    assertEquals(List.of("0", "1", "2", "3"), driver.list("par"));
  }

  @Test
  void anotherDriverOverTheSameStorageSeesWhatWasCommittedAndAppendsOn() throws Exception {
    // The next PATCH of an upload may reach another Berth process: nothing about a file may live only in the
    // memory of the driver that wrote it.
    StorageDriver other = newDriverOverTheSameStorage();
    byte[] first = randomBytes(60, 6 * MIB);
    byte[] second = randomBytes(61, 100);
    byte[] third = randomBytes(62, 6 * MIB + 1);
    appendInOneWriter("up/data", first);
    try (FileWriter w = other.appender("up/data")) {
      assertEquals(first.length, w.size());
      w.write(ByteBuffer.wrap(second));
      w.commit();
    }
    try (FileWriter w = other.appender("up/data")) {
      w.write(ByteBuffer.wrap(randomBytes(63, 6 * MIB))); // a client gone: not committed
    }
    long kept = other.size("up/data").orElseThrow();
    assertEquals(Optional.of(kept), driver.size("up/data"), "both see the same file");
    byte[] before = Arrays.copyOf(concat(first, second, randomBytes(63, 6 * MIB)), (int) kept);
    try (FileWriter w = driver.appender("up/data")) {
      assertEquals(kept, w.size());
      w.write(ByteBuffer.wrap(third));
      w.commit();
    }
    byte[] digest = sha256(before, third);
    assertArrayEquals(digest, sha256Of("up/data"));
    other.move("up/data", "blob/data");
    assertEquals(Optional.empty(), driver.size("up/data"));
    assertArrayEquals(digest, sha256Of("blob/data"));
    assertEquals(List.of("data"), driver.list("blob"));
    other.delete("blob");
    assertEquals(Optional.empty(), driver.size("blob/data"));
    assertEquals(List.of(), driver.list("blob"));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Missing paths

  @Test
  void missingPathsAreMissingToEveryOperation() throws IOException {
    driver.putContent("file", utf8("x"));
    driver.putContent("dir/other", utf8("y"));
    for (String missing : List.of("nope", "dir/nope", "nope/deeper/still", "file/below")) {
      assertEquals(Optional.empty(), driver.size(missing), missing);
      assertThrows(PathNotFoundException.class, () -> driver.getContent(missing), missing);
      assertThrows(PathNotFoundException.class, () -> driver.reader(missing, 0), missing);
      assertThrows(PathNotFoundException.class, () -> driver.reader(missing, 10), missing);
      assertThrows(PathNotFoundException.class, () -> driver.move(missing, "moved"), missing);
      assertEquals(List.of(), driver.list(missing), missing);
      driver.delete(missing);
    }
    assertEquals(Optional.empty(), driver.size("moved"));
    assertArrayEquals(utf8("x"), driver.getContent("file"));
    assertEquals(List.of("other"), driver.list("dir"));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Large objects

  @Test
  void aReaderInTheMiddleOfALargeAppendedFileReadsFromThere() throws Exception {
    // Appended by three writers, as an upload in three PATCHes: an object store may hold it in parts.
    byte[] all = concat(randomBytes(50, 7 * MIB), randomBytes(51, 7 * MIB + 3), randomBytes(52, 6 * MIB));
    appendInOneWriter("large/data", Arrays.copyOfRange(all, 0, 7 * MIB));
    appendInOneWriter("large/data", Arrays.copyOfRange(all, 7 * MIB, 14 * MIB + 3));
    appendInOneWriter("large/data", Arrays.copyOfRange(all, 14 * MIB + 3, all.length));
    for (int offset : new int[] {all.length / 2, 7 * MIB - 1, 7 * MIB, 14 * MIB + 3, all.length - 1}) {
      try (SeekableByteChannel ch = driver.reader("large/data", offset)) {
        int end = Math.min(offset + 2 * MIB, all.length);
        assertArrayEquals(Arrays.copyOfRange(all, offset, end), readUpTo(ch, end - offset), "offset " + offset);
      }
    }
    int middle = all.length / 2 + 12_345;
    MessageDigest rest = MessageDigest.getInstance("SHA-256");
    try (SeekableByteChannel ch = driver.reader("large/data", middle)) {
      ByteBuffer buf = ByteBuffer.allocate(8192); // small reads, many of them
      while (ch.read(buf) >= 0) {
        buf.flip();
        rest.update(buf);
        buf.clear();
      }
    }
    assertArrayEquals(sha256(Arrays.copyOfRange(all, middle, all.length)), rest.digest());
  }

  // ---------------------------------------------------------------------------------------------------------
  // Helpers

  /** Bytes that depend only on {@code seed} and {@code length}. */
  protected static byte[] randomBytes(long seed, int length) {
    byte[] bytes = new byte[length];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private static byte[] sha256(byte[]... parts) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (byte[] part : parts) {
        md.update(part);
      }
      return md.digest();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** SHA-256 of a stored file, read through the driver. */
  protected byte[] sha256Of(String path) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
    try (SeekableByteChannel ch = driver.reader(path, 0)) {
      ByteBuffer buf = ByteBuffer.allocate(1 << 16);
      while (ch.read(buf) >= 0) {
        buf.flip();
        md.update(buf);
        buf.clear();
      }
    }
    return md.digest();
  }

  /** Everything from {@code offset} to the end. */
  protected byte[] readFrom(String path, long offset) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (SeekableByteChannel ch = driver.reader(path, offset)) {
      while (readChunk(ch, out)) {
        // to the end
      }
    }
    return out.toByteArray();
  }

  /** Reads up to 64 KiB into {@code out}; false at the end. */
  private static boolean readChunk(SeekableByteChannel ch, ByteArrayOutputStream out) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(1 << 16);
    int n = ch.read(buf);
    if (n < 0) {
      return false;
    }
    out.write(buf.array(), 0, n);
    return true;
  }

  /** Reads until {@code length} bytes or the end. */
  private static byte[] readUpTo(SeekableByteChannel ch, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(length);
    while (buf.hasRemaining() && ch.read(buf) >= 0) {
      // fill
    }
    return Arrays.copyOf(buf.array(), buf.position());
  }

  /** One writer: appends {@code content} in one write, commits, closes. */
  protected void appendInOneWriter(String path, byte[] content) throws IOException {
    try (FileWriter w = driver.appender(path)) {
      w.write(ByteBuffer.wrap(content));
      w.commit();
    }
  }

  /** Runs the tasks on {@code threads} threads; fails with the first failure. */
  protected static void inParallel(int threads, List<? extends Callable<?>> tasks) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (Callable<?> task : tasks) {
        futures.add(pool.submit(task));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          if (e.getCause() instanceof Exception cause) {
            throw cause;
          }
          throw e;
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
