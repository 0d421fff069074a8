package io.berth.storage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The test server works, and does what {@link S3ProxyServer}'s comment says S3Proxy does: the S3 features the S3
 * driver relies on, and the places where S3Proxy differs from AWS. A new S3Proxy version that changes one of them
 * fails here first, not somewhere in the driver's tests.
 */
class S3ProxyServerTest {
  private static final int MIB = 1 << 20;

  private static S3ProxyServer server;
  private static S3Client s3;
  private static String bucket;

  /** Every test works under its own prefix. */
  private String p;

  @BeforeAll
  static void start() throws Exception {
    server = S3ProxyServer.start();
    s3 = server.client();
    bucket = server.bucket();
  }

  @AfterAll
  static void stop() throws Exception {
    if (s3 != null) {
      s3.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void prefix() {
    p = UUID.randomUUID() + "/";
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private void put(String key, byte[] content) {
    s3.putObject(r -> r.bucket(bucket).key(p + key), RequestBody.fromBytes(content));
  }

  private byte[] get(String key) {
    return s3.getObjectAsBytes(r -> r.bucket(bucket).key(p + key)).asByteArray();
  }

  private static int status(Runnable call) {
    return assertThrows(S3Exception.class, call::run).statusCode();
  }

  @Test
  void listensOnLoopbackWithTheBucketCreated() {
    assertEquals("127.0.0.1", server.endpoint().getHost());
    assertTrue(server.endpoint().getPort() > 0);
    assertTrue(s3.listBuckets().buckets().stream().anyMatch(b -> b.name().equals(bucket)));
  }

  @Test
  void refusesOtherCredentials() {
    try (S3Client wrong = S3Client.builder()
        .endpointOverride(server.endpoint())
        .region(software.amazon.awssdk.regions.Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
            software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, "not-the-secret")))
        .requestChecksumCalculation(software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(software.amazon.awssdk.core.checksums.ResponseChecksumValidation.WHEN_REQUIRED)
        .httpClientBuilder(software.amazon.awssdk.http.apache5.Apache5HttpClient.builder())
        .build()) {
      assertEquals(403, status(() -> wrong.listObjectsV2(r -> r.bucket(bucket))));
    }
  }

  @Test
  void objectsAreFilesNotHeap() {
    put("on/disk", new byte[] {1, 2, 3});
    assertTrue(java.nio.file.Files.isRegularFile(server.directory().resolve(bucket).resolve(p + "on/disk")));
  }

  @Test
  void rangedGets() {
    byte[] content = random(1000, 1);
    put("r", content);
    assertArrayEquals(Arrays.copyOfRange(content, 990, 1000),
        s3.getObjectAsBytes(r -> r.bucket(bucket).key(p + "r").range("bytes=990-")).asByteArray());
    assertArrayEquals(Arrays.copyOfRange(content, 10, 20),
        s3.getObjectAsBytes(r -> r.bucket(bucket).key(p + "r").range("bytes=10-19")).asByteArray());
    // At or after the end: 416, as on AWS. A reader positioned at the end must not ask.
    assertEquals(416, status(() -> s3.getObjectAsBytes(r -> r.bucket(bucket).key(p + "r").range("bytes=1000-"))));
    assertEquals(416, status(() -> s3.getObjectAsBytes(r -> r.bucket(bucket).key(p + "r").range("bytes=2000-"))));
    put("empty", new byte[0]);
    assertEquals(416, status(() -> s3.getObjectAsBytes(r -> r.bucket(bucket).key(p + "empty").range("bytes=0-"))));
    assertEquals(0, get("empty").length);
    assertThrows(NoSuchKeyException.class, () -> s3.headObject(r -> r.bucket(bucket).key(p + "missing")));
  }

  @Test
  void multipartUploadsCompleteAbortAndList() {
    byte[] first = random(6 * MIB, 2);
    byte[] last = random(100, 3);
    String key = p + "mp";
    String id = s3.createMultipartUpload(r -> r.bucket(bucket).key(key)).uploadId();
    String e1 = s3.uploadPart(r -> r.bucket(bucket).key(key).uploadId(id).partNumber(1), RequestBody.fromBytes(first)).eTag();
    String e2 = s3.uploadPart(r -> r.bucket(bucket).key(key).uploadId(id).partNumber(2), RequestBody.fromBytes(last)).eTag();
    assertEquals(2, s3.listParts(r -> r.bucket(bucket).key(key).uploadId(id)).parts().size());
    assertTrue(uploadsUnder(p).contains(id));
    assertEquals(List.of(), s3.listObjectsV2(r -> r.bucket(bucket).prefix(p)).contents(), "parts are not objects");
    assertEquals(List.of(), s3.listObjectsV2(r -> r.bucket(bucket).maxKeys(1000)).contents().stream()
        .map(S3Object::key).filter(k -> k.contains(id)).toList(), "not even at the bucket's root");
    assertThrows(NoSuchKeyException.class, () -> get("mp"), "nothing visible before complete");
    s3.completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(id)
        .multipartUpload(m -> m.parts(part(1, e1), part(2, e2))));
    byte[] both = get("mp");
    assertEquals(first.length + last.length, both.length);
    assertArrayEquals(first, Arrays.copyOf(both, first.length));
    assertFalse(uploadsUnder(p).contains(id));

    String aborted = s3.createMultipartUpload(r -> r.bucket(bucket).key(p + "ab")).uploadId();
    s3.uploadPart(r -> r.bucket(bucket).key(p + "ab").uploadId(aborted).partNumber(1), RequestBody.fromBytes(last));
    s3.abortMultipartUpload(r -> r.bucket(bucket).key(p + "ab").uploadId(aborted));
    assertFalse(uploadsUnder(p).contains(aborted));
    assertThrows(NoSuchKeyException.class, () -> get("ab"));
  }

  @Test
  void partsBelowFiveMibOtherThanTheLastAreRefusedAtComplete() {
    String key = p + "small";
    String id = s3.createMultipartUpload(r -> r.bucket(bucket).key(key)).uploadId();
    String e1 = s3.uploadPart(r -> r.bucket(bucket).key(key).uploadId(id).partNumber(1), RequestBody.fromBytes(new byte[100])).eTag();
    String e2 = s3.uploadPart(r -> r.bucket(bucket).key(key).uploadId(id).partNumber(2), RequestBody.fromBytes(new byte[100])).eTag();
    S3Exception e = assertThrows(S3Exception.class, () -> s3.completeMultipartUpload(r -> r.bucket(bucket).key(key)
        .uploadId(id).multipartUpload(m -> m.parts(part(1, e1), part(2, e2)))));
    assertEquals("EntityTooSmall", e.awsErrorDetails().errorCode());
    s3.abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(id));
  }

  @Test
  void uploadPartCopyTakesWholeObjectsAndRanges() {
    byte[] source = random(6 * MIB, 4);
    put("src", source);
    String key = p + "pc";
    String id = s3.createMultipartUpload(r -> r.bucket(bucket).key(key)).uploadId();
    // part 1: the whole source; part 2: its first 5 MiB; part 3 (last): bytes 10..12
    String c1 = s3.uploadPartCopy(r -> r.sourceBucket(bucket).sourceKey(p + "src").destinationBucket(bucket)
        .destinationKey(key).uploadId(id).partNumber(1)).copyPartResult().eTag();
    String c2 = s3.uploadPartCopy(r -> r.sourceBucket(bucket).sourceKey(p + "src").destinationBucket(bucket)
        .destinationKey(key).uploadId(id).partNumber(2).copySourceRange("bytes=0-" + (5 * MIB - 1))).copyPartResult().eTag();
    String c3 = s3.uploadPartCopy(r -> r.sourceBucket(bucket).sourceKey(p + "src").destinationBucket(bucket)
        .destinationKey(key).uploadId(id).partNumber(3).copySourceRange("bytes=10-12")).copyPartResult().eTag();
    s3.completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(id)
        .multipartUpload(m -> m.parts(part(1, c1), part(2, c2), part(3, c3))));
    byte[] got = get("pc");
    assertEquals(6 * MIB + 5 * MIB + 3, got.length);
    assertArrayEquals(source, Arrays.copyOfRange(got, 0, 6 * MIB));
    assertArrayEquals(Arrays.copyOf(source, 5 * MIB), Arrays.copyOfRange(got, 6 * MIB, 11 * MIB));
    assertArrayEquals(Arrays.copyOfRange(source, 10, 13), Arrays.copyOfRange(got, 11 * MIB, got.length));

    String past = s3.createMultipartUpload(r -> r.bucket(bucket).key(p + "past")).uploadId();
    assertEquals(416, status(() -> s3.uploadPartCopy(r -> r.sourceBucket(bucket).sourceKey(p + "src")
        .destinationBucket(bucket).destinationKey(p + "past").uploadId(past).partNumber(1)
        .copySourceRange("bytes=0-" + 6 * MIB))));
    s3.abortMultipartUpload(r -> r.bucket(bucket).key(p + "past").uploadId(past));
  }

  @Test
  void copyObjectReplacesAndHonoursSourceConditions() {
    put("a", new byte[] {1, 2, 3});
    put("b", new byte[] {9});
    s3.copyObject(r -> r.sourceBucket(bucket).sourceKey(p + "a").destinationBucket(bucket).destinationKey(p + "b"));
    assertArrayEquals(new byte[] {1, 2, 3}, get("b"));
    assertThrows(NoSuchKeyException.class, () -> s3.copyObject(r -> r.sourceBucket(bucket).sourceKey(p + "missing")
        .destinationBucket(bucket).destinationKey(p + "c")));
    assertEquals(412, status(() -> s3.copyObject(r -> r.sourceBucket(bucket).sourceKey(p + "a")
        .destinationBucket(bucket).destinationKey(p + "c").copySourceIfMatch("\"not-the-etag\""))));
  }

  @Test
  void listObjectsV2PagesWithContinuationTokensAndDelimiters() {
    List<String> names = List.of("B", "a-", "a-b", "a.c", "a0", "é");
    for (String name : names) {
      put("l/" + name, new byte[] {1});
    }
    for (String dir : List.of("a/", "a-c/", "ab/")) {
      put("l/" + dir + "x", new byte[] {1});
    }
    List<String> keys = new ArrayList<>();
    List<String> prefixes = new ArrayList<>();
    int pages = 0;
    String token = null;
    do {
      String t = token;
      ListObjectsV2Response page = s3.listObjectsV2(r -> r.bucket(bucket).prefix(p + "l/").delimiter("/").maxKeys(2)
          .continuationToken(t));
      pages++;
      assertTrue(page.contents().size() + page.commonPrefixes().size() <= 2, "a page holds at most maxKeys");
      page.contents().stream().map(S3Object::key).forEach(keys::add);
      page.commonPrefixes().stream().map(CommonPrefix::prefix).forEach(prefixes::add);
      token = page.isTruncated() ? page.nextContinuationToken() : null;
    } while (token != null);
    assertEquals(5, pages);
    // UTF-8 binary order; keys and prefixes are paged together, each list in order
    assertEquals(names.stream().map(n -> p + "l/" + n).toList(), keys);
    assertEquals(List.of(p + "l/a-c/", p + "l/a/", p + "l/ab/"), prefixes);
  }

  @Test
  void listObjectsV2PagesAtAThousand() {
    // maxKeys above 1,000 is capped, as on AWS: drivers must follow continuation tokens. (The keys are made as
    // files behind S3Proxy's back: 1,001 PUTs would take seconds.)
    java.nio.file.Path dir = server.directory().resolve(bucket).resolve(p + "k");
    try {
      java.nio.file.Files.createDirectories(dir);
      for (int i = 0; i < 1001; i++) {
        java.nio.file.Files.write(dir.resolve(String.format("%04d", i)), new byte[] {1});
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    ListObjectsV2Response first = s3.listObjectsV2(r -> r.bucket(bucket).prefix(p + "k/").maxKeys(5000));
    assertEquals(1000, first.contents().size());
    assertTrue(first.isTruncated());
    ListObjectsV2Response second = s3.listObjectsV2(r -> r.bucket(bucket).prefix(p + "k/")
        .continuationToken(first.nextContinuationToken()));
    assertEquals(List.of(p + "k/1000"), second.contents().stream().map(S3Object::key).toList());
    assertFalse(second.isTruncated());
  }

  @Test
  void deleteObjectsInBatches() {
    put("d/1", new byte[] {1});
    put("d/2", new byte[] {2});
    put("d/3", new byte[] {3});
    DeleteObjectsResponse response = s3.deleteObjects(r -> r.bucket(bucket).delete(d -> d.objects(
        id(p + "d/1"), id(p + "d/2"), id(p + "d/missing"))));
    assertEquals(List.of(), response.errors());
    assertTrue(response.deleted().stream().anyMatch(d -> d.key().equals(p + "d/missing")), "reported deleted");
    DeleteObjectsResponse quiet = s3.deleteObjects(r -> r.bucket(bucket).delete(d -> d.quiet(true).objects(id(p + "d/3"))));
    assertEquals(List.of(), quiet.deleted());
    assertEquals(0, s3.listObjectsV2(r -> r.bucket(bucket).prefix(p + "d/")).keyCount());
    s3.deleteObject(r -> r.bucket(bucket).key(p + "d/missing")); // no error
  }

  @Test
  void conditionalRequests() {
    put("c", new byte[] {1});
    String etag = s3.headObject(r -> r.bucket(bucket).key(p + "c")).eTag();
    // PutObject: If-None-Match: * and If-Match both honoured
    assertEquals(412, status(() -> s3.putObject(r -> r.bucket(bucket).key(p + "c").ifNoneMatch("*"), RequestBody.fromBytes(new byte[] {2}))));
    s3.putObject(r -> r.bucket(bucket).key(p + "new").ifNoneMatch("*"), RequestBody.fromBytes(new byte[] {2}));
    assertEquals(412, status(() -> s3.putObject(r -> r.bucket(bucket).key(p + "c").ifMatch("\"not-the-etag\""), RequestBody.fromBytes(new byte[] {3}))));
    assertArrayEquals(new byte[] {1}, get("c"));
    s3.putObject(r -> r.bucket(bucket).key(p + "c").ifMatch(etag), RequestBody.fromBytes(new byte[] {4}));
    assertArrayEquals(new byte[] {4}, get("c"));
    assertEquals(404, status(() -> s3.putObject(r -> r.bucket(bucket).key(p + "none").ifMatch(etag), RequestBody.fromBytes(new byte[] {5}))));
    // GetObject
    String now = s3.headObject(r -> r.bucket(bucket).key(p + "c")).eTag();
    assertEquals(412, status(() -> s3.getObjectAsBytes(r -> r.bucket(bucket).key(p + "c").ifMatch(etag))));
    assertEquals(304, status(() -> s3.getObjectAsBytes(r -> r.bucket(bucket).key(p + "c").ifNoneMatch(now))));
    assertArrayEquals(new byte[] {4}, s3.getObjectAsBytes(r -> r.bucket(bucket).key(p + "c").ifMatch(now)).asByteArray());
  }

  @Test
  void completeMultipartUploadHonoursConditions() {
    put("exists", new byte[] {1});
    String etag = s3.headObject(r -> r.bucket(bucket).key(p + "exists")).eTag();
    String key = p + "exists";
    String id = s3.createMultipartUpload(r -> r.bucket(bucket).key(key)).uploadId();
    String e1 = s3.uploadPart(r -> r.bucket(bucket).key(key).uploadId(id).partNumber(1), RequestBody.fromBytes(new byte[] {2})).eTag();
    assertEquals(412, status(() -> s3.completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(id).ifNoneMatch("*")
        .multipartUpload(m -> m.parts(part(1, e1))))));
    assertEquals(412, status(() -> s3.completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(id)
        .ifMatch("\"not-the-etag\"").multipartUpload(m -> m.parts(part(1, e1))))));
    assertArrayEquals(new byte[] {1}, get("exists"));
    assertTrue(uploadsUnder(p).contains(id), "a refused completion leaves the upload open");
    s3.completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(id).ifMatch(etag)
        .multipartUpload(m -> m.parts(part(1, e1))));
    assertArrayEquals(new byte[] {2}, get("exists"));
    assertFalse(uploadsUnder(p).contains(id));
  }

  @Test
  void contentMd5IsVerified() {
    assertEquals(400, status(() -> s3.putObject(r -> r.bucket(bucket).key(p + "md5").contentMD5("AAAAAAAAAAAAAAAAAAAAAA=="),
        RequestBody.fromBytes(new byte[] {1}))));
    assertThrows(NoSuchKeyException.class, () -> get("md5"));
    s3.putObject(r -> r.bucket(bucket).key(p + "text"), RequestBody.fromString("a Content-Type with parameters"));
  }

  @Test
  void aKeyCannotBeBothAnObjectAndAPrefixAndDeletingBelowAnObjectFails() {
    // Objects are files: "x" and "x/y" can't both exist (AWS allows it). Once "x/" is empty, "x" is free again.
    put("x/y", new byte[] {1});
    assertEquals(500, status(() -> put("x", new byte[] {2})));
    assertEquals(500, status(() -> s3.copyObject(r -> r.sourceBucket(bucket).sourceKey(p + "x/y")
        .destinationBucket(bucket).destinationKey(p + "x"))));
    assertThrows(NoSuchKeyException.class, () -> s3.headObject(r -> r.bucket(bucket).key(p + "x")));
    s3.deleteObject(r -> r.bucket(bucket).key(p + "x")); // no error, and x/y stays
    s3.deleteObjects(r -> r.bucket(bucket).delete(d -> d.objects(id(p + "x"))));
    assertArrayEquals(new byte[] {1}, get("x/y"));
    s3.deleteObject(r -> r.bucket(bucket).key(p + "x/y"));
    put("x", new byte[] {3});
    assertArrayEquals(new byte[] {3}, get("x"));
    // Below an object: missing to HEAD, GET, copy and listing, but DELETE fails with 500 (AWS: no error).
    assertThrows(NoSuchKeyException.class, () -> s3.headObject(r -> r.bucket(bucket).key(p + "x/below")));
    assertThrows(NoSuchKeyException.class, () -> get("x/below"));
    assertThrows(NoSuchKeyException.class, () -> s3.copyObject(r -> r.sourceBucket(bucket).sourceKey(p + "x/below")
        .destinationBucket(bucket).destinationKey(p + "copy")));
    assertEquals(0, s3.listObjectsV2(r -> r.bucket(bucket).prefix(p + "x/below/")).keyCount());
    assertEquals(500, status(() -> s3.deleteObject(r -> r.bucket(bucket).key(p + "x/below"))));
    assertEquals(500, status(() -> s3.deleteObjects(r -> r.bucket(bucket).delete(d -> d.objects(id(p + "x/below"))))));
  }

  /**
   * A server of its own, stopped and restarted: while down, connections are refused (at once, not after a timeout);
   * back up on the same endpoint, it has every object and the multipart upload that was open.
   */
  @Test
  void stopsAndRestartsOnTheSamePortOverTheSameObjects() throws Exception {
    try (S3ProxyServer own = S3ProxyServer.start("restart"); S3Client client = own.client()) {
      client.putObject(r -> r.bucket("restart").key("kept"), RequestBody.fromBytes(new byte[] {7}));
      String uploadId = client.createMultipartUpload(r -> r.bucket("restart").key("open")).uploadId();
      java.net.URI endpoint = own.endpoint();

      own.stop();
      assertFalse(own.running());
      long started = System.nanoTime();
      var refused = assertThrows(software.amazon.awssdk.core.exception.SdkClientException.class,
          () -> client.headObject(r -> r.bucket("restart").key("kept")));
      assertTrue(System.nanoTime() - started < 10_000_000_000L, "refusing took long: " + refused);
      try (var socket = new java.net.Socket()) {
        assertThrows(java.net.ConnectException.class,
            () -> socket.connect(new java.net.InetSocketAddress("127.0.0.1", endpoint.getPort()), 2000));
      }

      own.restart();
      assertTrue(own.running());
      assertEquals(endpoint, own.endpoint());
      assertArrayEquals(new byte[] {7}, client.getObjectAsBytes(r -> r.bucket("restart").key("kept")).asByteArray());
      assertEquals(List.of(uploadId), client.listMultipartUploads(r -> r.bucket("restart")).uploads().stream()
          .map(u -> u.uploadId()).toList());
      assertThrows(IllegalStateException.class, own::restart);
      own.stop();
      own.stop(); // twice is fine
      own.restart();
      client.putObject(r -> r.bucket("restart").key("after"), RequestBody.fromBytes(new byte[] {8}));
    }
  }

  private List<String> uploadsUnder(String prefix) {
    return s3.listMultipartUploads(r -> r.bucket(bucket).prefix(prefix)).uploads().stream()
        .map(u -> u.uploadId()).toList();
  }

  private static CompletedPart part(int number, String etag) {
    return CompletedPart.builder().partNumber(number).eTag(etag).build();
  }

  private static ObjectIdentifier id(String key) {
    return ObjectIdentifier.builder().key(key).build();
  }
}
