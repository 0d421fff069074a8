package io.berth.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.server.config.ServerConfig;
import io.berth.storage.s3.S3ProxyServer;
import io.berth.storage.s3.SegmentGroups;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The registry on its S3 backend while S3 fails, in this JVM against S3Proxy: S3 down (stopped mid-session, then
 * started again on the same port over the same objects), hanging, throttling and failing with 5xx. Every request that
 * needs storage then gets a 503 with the spec's error body ({@code UNAVAILABLE}) in bounded time, never a stack
 * trace; retries hide short trouble; an upload cut off by the outage leaves nothing under its digest and can go on
 * afterwards; and once S3 is back, the same registry serves and takes pushes again, without a restart.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class S3OutageTest extends ServerTestBase {
  private static final int MIB = 1 << 20;
  /** How long a request may take to fail while S3 refuses connections: the SDK's 3 attempts take well under 1 s. */
  private static final Duration REFUSED_BOUND = Duration.ofSeconds(10);

  private static S3ProxyServer s3;
  private static S3Client bucket;

  /** This test's key prefix in the shared bucket. */
  private final String prefix = "outage-" + UUID.randomUUID();
  /** Where the registry reaches S3: S3Proxy itself, or a {@link FaultyS3} in front of it. */
  private URI endpoint;
  private FaultyS3 faulty;

  @BeforeAll
  static void startS3() throws Exception {
    s3 = S3ProxyServer.start();
    bucket = s3.client();
  }

  @AfterAll
  static void stopS3() throws Exception {
    if (bucket != null) {
      bucket.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Override
  ServerConfig config() {
    URI to = endpoint != null ? endpoint : s3.endpoint();
    return ServerConfig.DEFAULTS.withAddr("127.0.0.1:0").withDeleteEnabled(true)
        .withS3(new ServerConfig.S3(s3.bucket(), prefix, s3.region(), to.toString(), true, s3.accessKey(),
            s3.secretKey(), 5, 4, 0));
  }

  /** The registry restarted to reach S3 through a {@link FaultyS3}, passing everything for now. */
  private FaultyS3 throughFaultyProxy() throws Exception {
    faulty = FaultyS3.start(s3.endpoint());
    endpoint = faulty.endpoint();
    restartServer();
    return faulty;
  }

  @AfterEach
  void s3BackUp() throws Exception {
    if (faulty != null) {
      faulty.close();
    }
    if (!s3.running()) {
      s3.restart();
    }
  }

  @Test
  void whileS3IsDownRequestsGet503AndOnceItIsBackTheSameRegistryWorksAgain() throws Exception {
    Baseline baseline = storeBaseline("team/app");
    // An upload in progress when S3 goes: its first chunk is stored.
    byte[] content = randomBytes(7 * MIB + 123, 7);
    String digest = sha256(content);
    int cut = 3 * MIB;
    String location = startUpload("team/upload");
    HttpResponse<byte[]> firstChunk = patch(location, slice(content, 0, cut), "Content-Range", "0-" + (cut - 1));
    assertEquals(202, firstChunk.statusCode(), () -> text(firstChunk));

    s3.stop();
    String manifestPath = "/v2/team/app/manifests/";
    List<Supplier<HttpResponse<byte[]>>> needStorage = List.of(
        () -> head("/v2/team/app/blobs/" + baseline.blobDigest()),
        () -> get("/v2/team/app/blobs/" + baseline.blobDigest()),
        () -> get(manifestPath + baseline.tag()),
        () -> get(manifestPath + baseline.manifestDigest()),
        () -> head(manifestPath + baseline.tag()),
        () -> get("/v2/team/app/tags/list"),
        () -> get("/v2/_catalog"),
        () -> get("/v2/team/app/referrers/" + baseline.manifestDigest()),
        () -> request("POST", "/v2/team/app/blobs/uploads/", null),
        () -> request("POST", "/v2/team/other/blobs/uploads/?mount=" + baseline.blobDigest() + "&from=team/app", null),
        () -> request("POST", "/v2/team/app/blobs/uploads/?digest=" + sha256(new byte[] {1}), new byte[] {1}),
        () -> get(location),
        () -> patch(location, slice(content, cut, content.length), "Content-Range", cut + "-" + (content.length - 1)),
        () -> putDigest(location, digest, null),
        () -> putManifest("team/app", "v2", OCI_MANIFEST, baseline.manifest()),
        () -> request("DELETE", manifestPath + baseline.manifestDigest(), null),
        () -> request("DELETE", "/v2/team/app/blobs/" + baseline.blobDigest(), null));
    long slowest = 0;
    for (Supplier<HttpResponse<byte[]>> call : needStorage) {
      long started = System.nanoTime();
      HttpResponse<byte[]> r = call.get();
      long took = System.nanoTime() - started;
      slowest = Math.max(slowest, took);
      String what = r.request().method() + " " + r.request().uri().getPath();
      assertTrue(took < REFUSED_BOUND.toNanos(), what + " took " + took / 1_000_000 + " ms with S3 down");
      if (r.request().method().equals("HEAD")) {
        assertEquals(503, r.statusCode(), what);
      } else {
        assertError(503, "UNAVAILABLE", r);
      }
    }
    System.out.printf("S3 down: %d requests answered 503, the slowest in %d ms%n", needStorage.size(),
        slowest / 1_000_000);
    assertEquals(200, get("/v2/").statusCode(), "the ping needs no storage");

    s3.restart(); // same port, same objects; the registry is not restarted
    assertBaselineIntact(baseline);
    assertEquals(404, head("/v2/team/upload/blobs/" + digest).statusCode());
    assertEquals(List.of(), keys("blobs/sha256/" + digest.substring(7, 9) + "/" + digest.substring(7)),
        "a blob under the digest of the unfinished upload");
    assertEquals(cut, uploadOffset(location), "the chunk stored before the outage is kept, nothing after it");
    HttpResponse<byte[]> rest = patch(location, slice(content, cut, content.length), "Content-Range",
        cut + "-" + (content.length - 1));
    assertEquals(202, rest.statusCode(), () -> text(rest));
    HttpResponse<byte[]> done = putDigest(location, digest, null);
    assertEquals(201, done.statusCode(), () -> text(done));
    assertArrayEquals(content, get("/v2/team/upload/blobs/" + digest).body());

    Baseline after = storeBaseline("team/after");
    assertBaselineIntact(after);
    assertEquals(List.of(), SegmentGroups.unowned(bucket, s3.bucket(), prefix), "segments left by finished uploads");
    assertEquals(List.of(), openMultipartUploads());
  }

  /**
   * docker's way, one streamed PATCH, cut by the outage in the middle of its body: the client gets a 503 (or, as the
   * server answers before reading the rest, a closed connection); nothing is stored under the digest, what the
   * upload kept is a prefix of the body, and the upload goes on from there once S3 is back.
   */
  @Test
  void aStreamedUploadCutOffByTheOutageLeavesNothingUnderItsDigestAndResumes() throws Exception {
    byte[] content = randomBytes(40 * MIB, 11);
    String digest = sha256(content);
    String location = startUpload("team/stream");
    int stopAt = 12 * MIB;
    InputStream body = new InputStream() {
      private int position;

      @Override
      public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (position >= content.length) {
          return -1;
        }
        if (position >= stopAt && s3.running()) {
          try {
            s3.stop();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
        int n = Math.min(Math.min(len, 64 * 1024), content.length - position);
        System.arraycopy(content, position, b, off, n);
        position += n;
        return n;
      }
    };
    HttpResponse<byte[]> cutOff = null;
    try {
      cutOff = http.send(HttpRequest.newBuilder(uri(location))
          .method("PATCH", HttpRequest.BodyPublishers.ofInputStream(() -> body))
          .header("Content-Type", "application/octet-stream").timeout(Duration.ofMinutes(2)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException closedEarly) {
      System.out.println("the cut-off PATCH: " + closedEarly);
    }
    if (cutOff != null) {
      assertError(503, "UNAVAILABLE", cutOff);
    }
    assertTrue(!s3.running(), "S3 was never stopped: the body did not get far enough");

    s3.restart();
    assertEquals(404, head("/v2/team/stream/blobs/" + digest).statusCode());
    assertEquals(List.of(), keys("blobs/"), "a blob stored from the cut-off upload");
    long kept = settledOffset(location);
    assertTrue(kept >= 0 && kept <= stopAt, "kept " + kept);
    System.out.printf("cut off after %d MiB: the upload kept %d bytes; multipart uploads open: %s%n",
        stopAt / MIB, kept, openMultipartUploads());
    HttpResponse<byte[]> rest = patch(location, slice(content, (int) kept, content.length), "Content-Range",
        kept + "-" + (content.length - 1));
    assertEquals(202, rest.statusCode(), () -> text(rest));
    HttpResponse<byte[]> done = putDigest(location, digest, null);
    assertEquals(201, done.statusCode(), () -> text(done));
    assertArrayEquals(content, get("/v2/team/stream/blobs/" + digest).body());
    // What S3 would not abort while it was down, the driver aborts once it is back.
    eventually("no multipart upload open", () -> openMultipartUploads().isEmpty());
  }

  /**
   * An S3 that accepts connections and never answers: the SDK cuts each attempt after 10 s and gives up after 30 s
   * in all, so the client gets its 503 in about half a minute, not after three socket timeouts of a minute each.
   */
  @Test
  void aHangingS3Gets503WithinTheCallTimeout() throws Exception {
    FaultyS3 proxy = throughFaultyProxy();
    Baseline baseline = storeBaseline("team/app");
    proxy.stall();
    long started = System.nanoTime();
    HttpResponse<byte[]> r = head("/v2/team/app/blobs/" + baseline.blobDigest());
    long took = System.nanoTime() - started;
    System.out.printf("S3 hanging: HEAD answered %d after %d ms%n", r.statusCode(), took / 1_000_000);
    assertEquals(503, r.statusCode());
    assertTrue(took < Duration.ofSeconds(45).toNanos(), "took " + took / 1_000_000 + " ms");
    proxy.pass();
    assertBaselineIntact(baseline);
    storeBaseline("team/after");
  }

  /** Throttling (503 SlowDown) and 500s are retried with backoff: a few pass unnoticed, a persistent one is a 503. */
  @Test
  void throttlingAndServerErrorsAreRetriedAndPersistentOnesAnswered503() throws Exception {
    FaultyS3 proxy = throughFaultyProxy();
    proxy.fail(2, 503, "SlowDown");
    Baseline throttled = storeBaseline("team/throttled");
    assertEquals(2, proxy.errorsSent(), "the SDK retried through two SlowDowns");
    proxy.fail(2, 500, "InternalError");
    assertBaselineIntact(throttled);
    assertEquals(4, proxy.errorsSent());

    for (String code : List.of("SlowDown", "InternalError")) {
      int before = proxy.errorsSent();
      proxy.fail(Integer.MAX_VALUE, code.equals("SlowDown") ? 503 : 500, code);
      long started = System.nanoTime();
      HttpResponse<byte[]> r = get("/v2/team/throttled/blobs/" + throttled.blobDigest());
      long took = System.nanoTime() - started;
      assertError(503, "UNAVAILABLE", r);
      assertTrue(!text(r).contains(code) && !text(r).contains("injected"), "S3's answer leaks: " + text(r));
      System.out.printf("S3 answering %s: 503 after %d attempts, %d ms%n", code, proxy.errorsSent() - before,
          took / 1_000_000);
      // The SDK's standard retries: 3 attempts. One of them may die on a pooled connection the faulty proxy has
      // just closed, before it reaches the proxy (seen once in CI), so 2 answered errors also show the retry.
      int answered = proxy.errorsSent() - before;
      assertTrue(answered >= 2 && answered <= 3, "retried, at most 3 attempts: " + answered);
    }
    proxy.pass();
    assertBaselineIntact(throttled);
  }

  private List<String> keys(String under) {
    List<String> keys = new ArrayList<>();
    bucket.listObjectsV2Paginator(r -> r.bucket(s3.bucket()).prefix(prefix + "/" + under)).contents().stream()
        .map(S3Object::key).forEach(keys::add);
    return keys;
  }

  private List<String> openMultipartUploads() {
    return bucket.listMultipartUploadsPaginator(r -> r.bucket(s3.bucket()).prefix(prefix + "/")).uploads().stream()
        .map(u -> u.key()).toList();
  }
}
