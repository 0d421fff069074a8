package io.berth.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.server.LargeBlobIT.GeneratedStream;
import io.berth.storage.s3.S3ProxyServer;
import io.berth.storage.s3.SegmentGroups;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@link LargeBlobIT} on the S3 backend: the packaged server in its own JVM with the options {@code ./berth run} gives
 * it ({@code -XX:+UseSerialGC -Xms16m -Xmx128m}), storing into an S3Proxy that runs in this JVM (objects as files),
 * with its default parts of 16 MiB. A 2 GiB blob goes up as one streamed PATCH without a length, as docker sends a
 * layer, then a PUT with its digest; it comes back whole and as a range of its last MiB, and the bucket holds it as
 * one object, with nothing of the upload left. Each step is timed and printed, with the server's resident memory
 * after it and at its peak; timings are not asserted (this runs on shared CI machines), the peak is.
 *
 * <p>The bound, 450 MiB, is what a correct server may reach at worst: its heap grown to the full 256 MiB plus the
 * rest of a JVM running Netty and the AWS SDK. Measured with the heap committed and touched from the start
 * ({@code -Xms256m -XX:+AlwaysPreTouch}): about 340 MiB before any request (heap, classes, code, threads, GC), 390 to
 * 425 MiB after this test (code compiled, classes loaded, malloc arenas of the compilers, Netty's pooled direct
 * buffers). Staged parts add nothing: they are temporary files, in the page cache, not in the process. What the bound
 * catches is buffering off the heap (the heap itself can't hold the blob: it would run out first): parts held in
 * direct memory, 16 MiB each, 4 in flight, or anything proportional to the blob. With the heap left to grow as the
 * collector sees fit, a healthy run peaks near 170 MiB (the filesystem backend's {@link LargeBlobIT} about the same).
 */
class S3LargeBlobIT {
  static final long SIZE = LargeBlobIT.SIZE;
  static final int TAIL = 1 << 20;
  static final long RSS_BOUND = 450L << 20;
  static final String REPO = "big/blob";
  static final String PREFIX = "registry";

  S3ProxyServer s3;
  S3Client bucket;
  BerthJvm berth;
  HttpClient http;
  /** Step, and what was measured: in order, printed at the end. */
  final Map<String, String> report = new LinkedHashMap<>();
  /** The largest resident set seen by sampling every 100 ms. */
  final AtomicLong sampledPeak = new AtomicLong();
  ScheduledExecutorService sampler;

  @BeforeEach
  void start() throws Exception {
    s3 = S3ProxyServer.start("large");
    bucket = s3.client();
    // The JVM options `./berth run` uses: the serial collector, a heap that starts small and may grow to 256 MiB.
    berth = BerthJvm.start(List.of("-XX:+UseSerialGC", "-Xms16m", "-Xmx128m"), Map.of(
        "BERTH_STORAGE_BACKEND", "s3",
        "BERTH_STORAGE_S3_BUCKET", s3.bucket(),
        "BERTH_STORAGE_S3_PREFIX", PREFIX,
        "BERTH_STORAGE_S3_REGION", s3.region(),
        "BERTH_STORAGE_S3_ENDPOINT", s3.endpoint().toString(),
        "BERTH_STORAGE_S3_PATHSTYLE", "true",
        "BERTH_STORAGE_S3_ACCESSKEY", s3.accessKey(),
        "BERTH_STORAGE_S3_SECRETKEY", s3.secretKey()));
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    sampler = Executors.newSingleThreadScheduledExecutor();
    sampler.scheduleAtFixedRate(() -> {
      try {
        sampledPeak.accumulateAndGet(berth.procStatusBytes("VmRSS"), Math::max);
      } catch (IOException | RuntimeException gone) {
        // the process ended
      }
    }, 0, 100, TimeUnit.MILLISECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    if (sampler != null) {
      sampler.shutdownNow();
    }
    if (http != null) {
      http.close();
    }
    try {
      if (berth != null) {
        berth.close();
      }
    } finally {
      if (bucket != null) {
        bucket.close();
      }
      if (s3 != null) {
        s3.close();
      }
    }
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + berth.port() + path);
  }

  @Test
  void twoGibibyteBlobStreamsThroughS3WithASmallHeap() throws Exception {
    record("start", 0);
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(uri("/v2/" + REPO + "/blobs/uploads/"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(202, post.statusCode(), post::body);
    String location = URI.create(post.headers().firstValue("Location").orElseThrow()).getPath();

    // One PATCH, chunked (no length given), as docker and containerd send a layer.
    TailKeeping body = new TailKeeping(new GeneratedStream(SIZE), SIZE, TAIL);
    long started = System.nanoTime();
    HttpResponse<String> patch = http.send(HttpRequest.newBuilder(uri(location))
        .method("PATCH", HttpRequest.BodyPublishers.ofInputStream(() -> body))
        .header("Content-Type", "application/octet-stream")
        .timeout(Duration.ofMinutes(15)).build(), HttpResponse.BodyHandlers.ofString());
    long patched = System.nanoTime();
    assertEquals(202, patch.statusCode(), patch::body);
    assertEquals("0-" + (SIZE - 1), patch.headers().firstValue("Range").orElse(null));
    String digest = body.digest();
    record("PATCH 2 GiB, streamed", patched - started);
    report.put("  of which after the last byte was sent (last parts, completing the multipart upload)",
        ms(patched - body.endedAt()));

    started = System.nanoTime();
    HttpResponse<String> put = http.send(HttpRequest.newBuilder(uri(location + "?digest=" + digest))
        .PUT(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofMinutes(15)).build(),
        HttpResponse.BodyHandlers.ofString());
    record("PUT ?digest (commit: digest check, the blob named over the upload's segments, cleanup)",
        System.nanoTime() - started);
    assertEquals(201, put.statusCode(), put::body);
    assertEquals(digest, put.headers().firstValue("Docker-Content-Digest").orElse(null));

    // Behind the server: the blob's object names the segments the upload wrote (nothing was copied), which are
    // owned by the blob now; nothing else of the upload is left.
    String hex = digest.substring("sha256:".length());
    String data = PREFIX + "/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data";
    HeadObjectResponse stored = bucket.headObject(r -> r.bucket(s3.bucket()).key(data));
    assertEquals(0, stored.contentLength());
    assertEquals(String.valueOf(SIZE), stored.metadata().get("berth-size"));
    List<String> keys = new ArrayList<>();
    bucket.listObjectsV2Paginator(r -> r.bucket(s3.bucket())).contents().stream().map(S3Object::key)
        .filter(k -> !k.startsWith(PREFIX + "/.appended/"))
        .forEach(keys::add);
    // (and the catalog's stamp, which tells other instances a repository was created)
    assertEquals(List.of(data, PREFIX + "/repositories/_catalogstamp",
        PREFIX + "/repositories/" + REPO + "/_layers/sha256/" + hex + "/link"), keys, "the bucket holds");
    assertEquals(List.of(), SegmentGroups.unowned(bucket, s3.bucket(), PREFIX));
    assertEquals(SIZE, SegmentGroups.all(bucket, s3.bucket(), PREFIX).stream().filter(k -> !k.endsWith("/owner"))
        .mapToLong(k -> bucket.headObject(r -> r.bucket(s3.bucket()).key(k)).contentLength()).sum());
    assertEquals(List.of(), bucket.listMultipartUploads(r -> r.bucket(s3.bucket())).uploads());

    started = System.nanoTime();
    HttpResponse<InputStream> get = http.send(HttpRequest.newBuilder(uri("/v2/" + REPO + "/blobs/" + digest))
        .timeout(Duration.ofMinutes(15)).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, get.statusCode());
    assertEquals(String.valueOf(SIZE), get.headers().firstValue("Content-Length").orElse(null));
    MessageDigest back = MessageDigest.getInstance("SHA-256");
    long received = 0;
    try (InputStream in = get.body()) {
      byte[] buf = new byte[1 << 20];
      int n;
      while ((n = in.read(buf)) >= 0) {
        back.update(buf, 0, n);
        received += n;
      }
    }
    record("GET 2 GiB", System.nanoTime() - started);
    assertEquals(SIZE, received);
    assertEquals(digest, "sha256:" + HexFormat.of().formatHex(back.digest()), "the blob came back different");

    started = System.nanoTime();
    HttpResponse<byte[]> range = http.send(HttpRequest.newBuilder(uri("/v2/" + REPO + "/blobs/" + digest))
        .header("Range", "bytes=" + (SIZE - TAIL) + "-" + (SIZE - 1)).timeout(Duration.ofMinutes(1)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    record("GET Range: the last MiB", System.nanoTime() - started);
    assertEquals(206, range.statusCode());
    assertEquals("bytes " + (SIZE - TAIL) + "-" + (SIZE - 1) + "/" + SIZE,
        range.headers().firstValue("Content-Range").orElse(null));
    assertArrayEquals(body.tail(), range.body(), "the last MiB came back different");

    assertTrue(berth.isAlive(), "the server process died");
    HttpResponse<String> ping = http.send(HttpRequest.newBuilder(uri("/v2/")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, ping.statusCode());

    long peak = berth.procStatusBytes("VmHWM");
    report.put("peak RSS of the server (VmHWM)", (peak >> 20) + " MiB (sampled every 100 ms: "
        + (sampledPeak.get() >> 20) + " MiB; bound " + (RSS_BOUND >> 20) + " MiB)");
    StringBuilder printed =
        new StringBuilder("S3 backend, 2 GiB blob, server with -XX:+UseSerialGC -Xms16m -Xmx128m:\n");
    report.forEach((step, value) -> printed.append(String.format("  %-90s %s%n", step, value)));
    System.out.print(printed);
    assertTrue(peak < RSS_BOUND, "the server's resident set peaked at " + (peak >> 20) + " MiB\n" + printed);
  }

  private void record(String step, long nanos) throws IOException {
    report.put(step, (nanos == 0 ? "" : ms(nanos) + ", ") + "RSS after: " + (berth.procStatusBytes("VmRSS") >> 20)
        + " MiB");
  }

  private static String ms(long nanos) {
    return String.format("%.1f s", nanos / 1e9);
  }

  /** A stream that keeps its last {@code tail} bytes (the range to read back) and notes when it ended. */
  static final class TailKeeping extends InputStream {
    private final GeneratedStream in;
    private final long size;
    private final byte[] tail;
    private long position;
    private volatile long endedAt;

    TailKeeping(GeneratedStream in, long size, int tail) {
      this.in = in;
      this.size = size;
      this.tail = new byte[tail];
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      int n = in.read(b, off, len);
      if (n < 0) {
        if (endedAt == 0) {
          endedAt = System.nanoTime();
        }
        return n;
      }
      long tailStart = size - tail.length;
      if (position + n > tailStart) {
        int skip = (int) Math.max(0, tailStart - position);
        System.arraycopy(b, off + skip, tail, (int) (position + skip - tailStart), n - skip);
      }
      position += n;
      return n;
    }

    long endedAt() {
      return endedAt;
    }

    byte[] tail() {
      return tail;
    }

    String digest() {
      return in.digest();
    }
  }
}
