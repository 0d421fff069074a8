package io.berth.storage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.storage.FileWriter;
import io.berth.storage.PathNotFoundException;
import io.berth.storage.StorageDriver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What only an S3 driver can get wrong, checked by looking at the bucket behind it with a plain S3 client: what
 * is visible before a commit, multipart uploads left behind, keys outside the driver's prefix, other prefixes
 * touched, errors taken for missing paths, readers mixing two versions of a file. The storage contract itself
 * runs in {@link S3DriverTest}.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class S3DriverS3Test {
  private static final int MIB = 1 << 20;

  private static S3ProxyServer server;
  private static S3Client s3;

  private final List<StorageDriver> opened = new ArrayList<>();
  private String prefix;
  private StorageDriver driver;

  @BeforeAll
  static void startServer() throws Exception {
    server = S3ProxyServer.start();
    s3 = server.client();
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (s3 != null) {
      s3.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void openDriver() throws Exception {
    prefix = "s3-" + UUID.randomUUID();
    driver = open(server.bucket(), prefix, server.secretKey());
  }

  @AfterEach
  void closeDrivers() throws Exception {
    for (StorageDriver d : opened) {
      S3Drivers.close(d);
    }
    opened.clear();
  }

  /**
   * An appended file is an empty object at its key naming its group, plus one segment object per commit under
   * {@code <prefix>/.appended/<path>/<generation>/}: what a writer sends shows up only when it commits, whole.
   */
  @Test
  void nothingIsVisibleAtAPathUntilItsWriterCommits() throws Exception {
    String key = prefix + "/up/data";
    byte[] first = random(1, 12 * MIB);
    byte[] second = random(2, 6 * MIB);
    try (FileWriter w = driver.appender("up/data")) {
      w.write(ByteBuffer.wrap(first));
      // parts may be uploaded already, but no object holds them yet
      assertEquals(List.of(key), keysUnder(prefix + "/"), "only the empty object of the file");
      assertEquals(Optional.of(0L), objectSize(key));
      assertEquals(Optional.of(0L), driver.size("up/data"));
      w.commit();
      assertEquals(List.of(0L), segmentOffsets("up/data"));
      assertEquals(Optional.of((long) first.length), driver.size("up/data"));
      w.write(ByteBuffer.wrap(second));
      assertEquals(Optional.of((long) first.length), driver.size("up/data"), "the second write is not visible yet");
      w.commit();
    }
    assertEquals(List.of(0L, (long) first.length), segmentOffsets("up/data"));
    assertArrayEquals(concat(first, second), driver.getContent("up/data"));
    assertEquals(3, keysUnder(prefix + "/").size(), "the file's object and two segments, no temporary objects");
  }

  /**
   * Publishing a finished upload copies nothing: the destination takes over the source's segments, which then
   * outlive the deletion of the source's whole tree (the upload's session), and go when the destination goes.
   */
  @Test
  void aMoveHandsTheSegmentsToTheDestinationWithoutCopyingThem() throws Exception {
    byte[] content = random(3, 12 * MIB + 5);
    append(driver, "up/data", content);
    driver.putContent("up/startedat", new byte[] {1});
    List<String> segments = keysUnder(prefix + "/.appended/");
    Instant written = s3.headObject(r -> r.bucket(server.bucket()).key(segments.get(0))).lastModified();

    driver.move("up/data", "blobs/b/data");
    assertEquals(Optional.of(0L), objectSize(prefix + "/blobs/b/data"), "the destination holds no bytes itself");
    assertEquals(Optional.empty(), driver.size("up/data"));
    assertEquals(Optional.of((long) content.length), driver.size("blobs/b/data"));
    assertArrayEquals(content, driver.getContent("blobs/b/data"));
    assertEquals(written, s3.headObject(r -> r.bucket(server.bucket()).key(segments.get(0))).lastModified(),
        "the segment was not written again");

    driver.delete("up");
    assertArrayEquals(content, driver.getContent("blobs/b/data"), "the session's deletion kept the blob's bytes");
    assertEquals(List.of(), SegmentGroups.unowned(s3, server.bucket(), prefix));
    driver.delete("blobs/b");
    assertEquals(List.of(), keysUnder(prefix + "/"), "the destination took its segments with it");
  }

  /**
   * A moved file's object lists its segments' lengths in its metadata, so a read needs no listing; a file of more
   * segments than the metadata can hold is listed instead.
   */
  @Test
  void aMovedFileListsItsSegmentsOrIsListedWhenThereAreTooMany() throws Exception {
    byte[] few = random(33, 3000);
    try (FileWriter w = driver.appender("up/few")) {
      for (int i = 0; i < 3; i++) {
        w.write(ByteBuffer.wrap(few, i * 1000, 1000));
        w.commit();
      }
    }
    driver.move("up/few", "few");
    assertEquals("1000,1000,1000", s3.headObject(r -> r.bucket(server.bucket()).key(prefix + "/few")).metadata()
        .get(S3Driver.LENGTHS));
    assertArrayEquals(few, driver.getContent("few"));

    int count = S3Driver.MAX_LENGTHS / 2 + 1; // "1," each: one more than fits
    byte[] many = random(34, count);
    try (FileWriter w = driver.appender("up/many")) {
      for (int i = 0; i < count; i++) {
        w.write(ByteBuffer.wrap(many, i, 1));
        w.commit();
      }
    }
    driver.move("up/many", "many");
    assertEquals(null, s3.headObject(r -> r.bucket(server.bucket()).key(prefix + "/many")).metadata()
        .get(S3Driver.LENGTHS));
    assertArrayEquals(many, driver.getContent("many"));
    try (SeekableByteChannel ch = driver.reader("many", count - 10)) {
      ByteBuffer tail = ByteBuffer.allocate(20);
      while (ch.read(tail) >= 0) {
        // to the end
      }
      assertArrayEquals(Arrays.copyOfRange(many, count - 10, count), Arrays.copyOf(tail.array(), tail.position()));
    }
  }

  /** A moved file moves on, replaced files give their segments up, and a path used again starts afresh. */
  @Test
  void movedFilesMoveOnAndReplacedOnesLeaveNothing() throws Exception {
    byte[] a = random(30, 3 * MIB);
    byte[] b = random(31, 1000);
    append(driver, "up/1", a);
    driver.move("up/1", "x");
    driver.move("x", "y");
    assertArrayEquals(a, driver.getContent("y"));
    assertEquals(Optional.empty(), driver.size("x"));
    append(driver, "up/1", b); // the same path again: its own group
    assertArrayEquals(b, driver.getContent("up/1"));
    driver.move("up/1", "y"); // replaces y: a's segments go
    assertArrayEquals(b, driver.getContent("y"));
    assertEquals(List.of(), SegmentGroups.unowned(s3, server.bucket(), prefix));
    assertEquals(2, SegmentGroups.all(s3, server.bucket(), prefix).size(), "b's segment and its owner");
    driver.putContent("y", new byte[] {7}); // a whole file replaces y
    append(driver, "y", b); // appending to it makes it an appended file again
    assertArrayEquals(concat(new byte[] {7}, b), driver.getContent("y"));
    driver.delete("y");
    driver.delete("up");
    assertEquals(List.of(), SegmentGroups.unowned(s3, server.bucket(), prefix));
  }

  /**
   * A process that dies between handing a group over and deleting the source loses nothing: if the destination
   * names the group, deleting the source keeps it; if the destination was never written, the group is the
   * source's leftover and goes with it.
   */
  @Test
  void aMoveCutShortLosesNothingAndLeavesNothing() throws Exception {
    byte[] content = random(32, 2 * MIB);
    append(driver, "up/1/data", content);
    String marker = prefix + "/up/1/data";
    java.util.Map<String, String> metadata = s3.headObject(r -> r.bucket(server.bucket()).key(marker)).metadata();
    String group = metadata.get(S3Driver.APPENDED);
    String owner = prefix + "/.appended/" + group + "/owner";

    // Died after the hand-over and the destination, before deleting the source's object.
    s3.putObject(r -> r.bucket(server.bucket()).key(owner), RequestBody.fromString("blobs/b/data"));
    s3.putObject(r -> r.bucket(server.bucket()).key(prefix + "/blobs/b/data").metadata(java.util.Map.of(
        S3Driver.SEGMENTS, group, S3Driver.SIZE, Long.toString(content.length))), RequestBody.empty());
    driver.delete("up/1");
    assertArrayEquals(content, driver.getContent("blobs/b/data"));

    // Died after the hand-over only: the destination never came, so the bytes are the source's leftover.
    append(driver, "up/2/data", content);
    String group2 = s3.headObject(r -> r.bucket(server.bucket()).key(prefix + "/up/2/data")).metadata()
        .get(S3Driver.APPENDED);
    s3.putObject(r -> r.bucket(server.bucket()).key(prefix + "/.appended/" + group2 + "/owner"),
        RequestBody.fromString("blobs/c/data"));
    driver.delete("up/2");
    assertEquals(List.of(), keysUnder(prefix + "/.appended/" + group2 + "/"));
    assertEquals(List.of(), SegmentGroups.unowned(s3, server.bucket(), prefix));
  }

  /**
   * Two processes append to one file at the same offset (two instances taking chunks of one upload at once): a
   * segment is written once, so the second commit fails and the first one's bytes stay, whether the segments are
   * single PUTs or multipart uploads (the condition rides on the completion), and nothing is left of the loser.
   */
  @Test
  void aSecondWriterAtTheSameOffsetFailsInsteadOfReplacingTheFirst() throws Exception {
    StorageDriver other = open(server.bucket(), prefix, server.secretKey());
    for (int size : List.of(1000, 6 * MIB)) {
      String path = "race-" + size + "/data";
      byte[] first = random(20, size);
      byte[] second = random(21, size);
      try (FileWriter mine = driver.appender(path); FileWriter theirs = other.appender(path)) {
        assertEquals(0, theirs.size());
        mine.write(ByteBuffer.wrap(first));
        theirs.write(ByteBuffer.wrap(second));
        mine.commit();
        assertThrows(io.berth.storage.WriteConflictException.class, theirs::commit);
      }
      assertArrayEquals(first, driver.getContent(path));
      assertArrayEquals(first, other.getContent(path));
      assertEquals(List.of(0L), segmentOffsets(path));
      append(other, path, second); // from where it ends now, it goes on
      assertArrayEquals(concat(first, second), driver.getContent(path));
    }
    assertEquals(List.of(), uploadsUnder(prefix + "/"));
  }

  /**
   * A writer that committed after its file was deleted left a group no file names: a new file at the path doesn't
   * take those bytes for its own, and deleting the path takes them away.
   */
  @Test
  void segmentsWithoutTheirFileAreNeverPartOfANewOne() throws Exception {
    byte[] stray = random(24, 1000);
    byte[] mine = random(25, 10);
    s3.putObject(r -> r.bucket(server.bucket()).key(prefix + "/.appended/racing/data/0123456789abcdef/%020d"
        .formatted(0)), RequestBody.fromBytes(stray));
    append(driver, "racing/data", mine);
    assertArrayEquals(mine, driver.getContent("racing/data"));
    driver.delete("racing");
    assertEquals(List.of(), keysUnder(prefix + "/"));
  }

  /**
   * A move told the size moves exactly that many bytes of an appended file, though another process appended since
   * (the registry publishes what it hashed); a size that is not where a commit ended is refused.
   */
  @Test
  void aSizedMoveOfAnAppendedFileTakesOnlyItsFirstBytes() throws Exception {
    StorageDriver other = open(server.bucket(), prefix, server.secretKey());
    byte[] hashed = random(22, 6 * MIB + 3);
    byte[] late = random(23, 1000);
    append(driver, "up/data", hashed);
    append(other, "up/data", late);
    assertThrows(IOException.class, () -> driver.move("up/data", "blobs/b/data", hashed.length - 1L));
    assertThrows(IOException.class, () -> driver.move("up/data", "blobs/b/data", hashed.length + 1L));
    assertEquals(Optional.empty(), driver.size("blobs/b/data"));
    assertEquals(Optional.of((long) hashed.length + late.length), driver.size("up/data"), "a refused move keeps it");

    driver.move("up/data", "blobs/b/data", hashed.length);
    assertArrayEquals(hashed, driver.getContent("blobs/b/data"));
    assertEquals(Optional.of((long) hashed.length), other.size("blobs/b/data"));
    driver.delete("blobs/b");
    assertEquals(List.of(), keysUnder(prefix + "/"), "the late segment went with the rest");
  }

  @Test
  void noMultipartUploadIsLeftOver() throws Exception {
    append(driver, "committed", random(4, 12 * MIB));
    try (FileWriter w = driver.appender("committed")) {
      w.write(ByteBuffer.wrap(random(5, 6 * MIB)));
      w.commit();
      w.write(ByteBuffer.wrap(random(6, 6 * MIB))); // then closed without commit
    }
    try (FileWriter w = driver.appender("abandoned")) {
      w.write(ByteBuffer.wrap(random(7, 12 * MIB)));
    }
    try (FileWriter w = driver.appender("untouched")) {
      // opened and closed
    }
    driver.move("committed", "moved");
    driver.putContent("small", new byte[] {1});
    assertEquals(List.of(), uploadsUnder(prefix + "/"));
  }

  @Test
  void everyKeyIsUnderThePrefix() throws Exception {
    Set<String> before = allKeys();
    append(driver, "a/data", random(8, 6 * MIB));
    try (FileWriter w = driver.appender("a/data")) {
      w.write(ByteBuffer.wrap(random(9, 100)));
    }
    driver.putContent("b/c", new byte[] {1});
    driver.move("a/data", "d/data");
    driver.delete("b");
    Set<String> after = allKeys();
    Set<String> added = new HashSet<>(after);
    added.removeAll(before);
    assertFalse(added.isEmpty());
    for (String key : added) {
      assertTrue(key.startsWith(prefix + "/"), key);
    }
    Set<String> removed = new HashSet<>(before);
    removed.removeAll(after);
    assertEquals(Set.of(), removed, "nothing outside the prefix deleted");
  }

  @Test
  void deletingATreeLeavesOtherPrefixesAlone() throws Exception {
    List<String> others = List.of("other/tree/x", prefix + "-more/tree/x", prefix + "tree/x", prefix + "-tree");
    for (String key : others) {
      s3.putObject(r -> r.bucket(server.bucket()).key(key), RequestBody.fromBytes(new byte[] {1}));
    }
    StorageDriver sibling = open(server.bucket(), prefix + "-more", server.secretKey()); // shares the string prefix
    driver.putContent("tree/a", new byte[] {2});
    driver.putContent("tree/b/c", new byte[] {3});
    driver.delete("tree");
    assertEquals(Optional.empty(), driver.size("tree/a"));
    assertEquals(Optional.empty(), driver.size("tree/b/c"));
    for (String key : others) {
      assertEquals(Optional.of(1L), objectSize(key), key);
    }
    assertEquals(Optional.of(1L), sibling.size("tree/x"));
  }

  @Test
  void anEmptyPrefixKeepsKeysAtTheBucketRoot() throws Exception {
    String bucket = "root-" + UUID.randomUUID().toString().substring(0, 8);
    server.createBucket(bucket);
    StorageDriver root = open(bucket, "", server.secretKey());
    root.putContent("a/b", new byte[] {1});
    assertEquals(List.of("a/b"), s3.listObjectsV2(r -> r.bucket(bucket)).contents().stream().map(S3Object::key).toList());
    assertEquals(List.of("b"), root.list("a"));
    root.delete("a");
    assertEquals(0, s3.listObjectsV2(r -> r.bucket(bucket)).keyCount());
  }

  @Test
  void aRefusedRequestIsAnErrorNotAMissingPath() throws Exception {
    driver.putContent("x", new byte[] {1});
    StorageDriver wrong;
    try {
      wrong = open(server.bucket(), prefix, "not-the-secret");
    } catch (Exception refusedAtOnce) {
      return; // checking the credentials at start is fine too
    }
    IOException e = assertThrows(IOException.class, () -> wrong.size("x"));
    assertFalse(e instanceof PathNotFoundException, e.toString());
    e = assertThrows(IOException.class, () -> wrong.getContent("x"));
    assertFalse(e instanceof PathNotFoundException, e.toString());
    e = assertThrows(IOException.class, () -> wrong.reader("x", 0));
    assertFalse(e instanceof PathNotFoundException, e.toString());
    assertThrows(IOException.class, () -> wrong.list("dir"), "not an empty directory");
    assertThrows(IOException.class, () -> wrong.delete("x"));
    assertEquals(Optional.of(1L), objectSize(prefix + "/x"));
  }

  @Test
  void aReaderNeverMixesTwoVersionsOfAFile() throws Exception {
    byte[] old = random(10, 8 * MIB);
    byte[] replacement = random(11, 8 * MIB);
    append(driver, "f", old);
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    try (SeekableByteChannel ch = driver.reader("f", 0)) {
      ByteBuffer buf = ByteBuffer.allocate(MIB);
      while (buf.hasRemaining() && ch.read(buf) >= 0) {
        // the first MiB
      }
      read.write(buf.array(), 0, buf.position());
      append(driver, "g", replacement);
      driver.move("g", "f");
      try {
        buf = ByteBuffer.allocate(1 << 16);
        int n;
        while ((n = ch.read(buf)) >= 0) {
          read.write(buf.array(), 0, n);
          buf.clear();
        }
      } catch (IOException changed) {
        return; // reporting that the file changed is fine
      }
    }
    byte[] got = read.toByteArray();
    assertTrue(Arrays.equals(old, got) || Arrays.equals(replacement, got), "one version, whole");
  }

  @Test
  void noLocalFileIsOffered() throws Exception {
    driver.putContent("x", new byte[] {1});
    assertEquals(Optional.empty(), driver.localFile("x"));
  }

  private StorageDriver open(String bucket, String prefix, String secretKey) throws Exception {
    StorageDriver d = S3Drivers.open(server, bucket, prefix, secretKey);
    opened.add(d);
    return d;
  }

  private static void append(StorageDriver d, String path, byte[] content) throws IOException {
    try (FileWriter w = d.appender(path)) {
      w.write(ByteBuffer.wrap(content));
      w.commit();
    }
  }

  /** Where the segments of an appended file start. */
  private List<Long> segmentOffsets(String path) {
    String group = s3.headObject(r -> r.bucket(server.bucket()).key(prefix + "/" + path)).metadata()
        .get(S3Driver.APPENDED);
    return keysUnder(prefix + "/.appended/" + group + "/").stream().filter(S3Keys::isSegment)
        .map(S3Keys::offsetOf).toList();
  }

  private static Optional<Long> objectSize(String key) {
    try {
      return Optional.of(s3.headObject(r -> r.bucket(server.bucket()).key(key)).contentLength());
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    }
  }

  private static byte[] object(String key) {
    return s3.getObjectAsBytes(r -> r.bucket(server.bucket()).key(key)).asByteArray();
  }

  private static List<String> keysUnder(String keyPrefix) {
    return s3.listObjectsV2Paginator(r -> r.bucket(server.bucket()).prefix(keyPrefix)).contents().stream()
        .map(S3Object::key).toList();
  }

  private static Set<String> allKeys() {
    return new HashSet<>(keysUnder(""));
  }

  private static List<String> uploadsUnder(String keyPrefix) {
    return s3.listMultipartUploads(r -> r.bucket(server.bucket()).prefix(keyPrefix)).uploads().stream()
        .map(u -> u.key() + " " + u.uploadId()).toList();
  }

  private static byte[] random(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }

  @Test
  void noStoragePathReachesTheSegments() {
    for (String path : List.of(".appended", ".appended/up/data/00000000000000000000")) {
      assertThrows(IllegalArgumentException.class, () -> driver.putContent(path, new byte[] {1}), path);
      assertThrows(IllegalArgumentException.class, () -> driver.delete(path), path);
    }
  }
}
