package io.berth.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link StorageDriver} keeps. A backend's test extends this class and says how to make a
 * fresh, empty driver; every test here then runs against it unchanged.
 */
public abstract class StorageDriverContract {
  protected StorageDriver driver;

  /** A new driver over empty storage. */
  protected abstract StorageDriver newDriver() throws Exception;

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
    assertArrayEquals(new byte[0], driver.getContent("empty"));
  }

  @Test
  void missingPathsAreReportedAsMissing() throws IOException {
    assertEquals(Optional.empty(), driver.size("nope"));
    assertThrows(PathNotFoundException.class, () -> driver.getContent("nope"));
    assertThrows(PathNotFoundException.class, () -> driver.reader("nope", 0));
    assertEquals(List.of(), driver.list("nope"));
  }

  @Test
  void aDirectoryHasNoSize() throws IOException {
    driver.putContent("dir/file", utf8("x"));
    assertEquals(Optional.empty(), driver.size("dir"));
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
}
