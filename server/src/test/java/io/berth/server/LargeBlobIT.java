package io.berth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged server ({@code server/target/berth.jar}, in its own JVM with {@code -Xmx128m}) takes a 2 GiB blob in
 * one chunked PATCH and gives it back intact, and is still alive afterwards. The blob is generated on the fly and
 * hashed as it is generated; neither side may hold it in memory. Runs in failsafe's integration-test phase.
 */
class LargeBlobIT {
  static final long SIZE = 2L * 1024 * 1024 * 1024;
  static final String REPO = "big/blob";

  @TempDir
  Path temp;
  BerthJvm berth;
  HttpClient http;

  @BeforeEach
  void startServerJvm() throws Exception {
    berth = BerthJvm.start(List.of("-Xmx128m"),
        Map.of("BERTH_STORAGE_FILESYSTEM_ROOT", temp.resolve("data").toString()));
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  @AfterEach
  void stopServerJvm() throws Exception {
    if (http != null) {
      http.close();
    }
    if (berth != null) {
      berth.close();
    }
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + berth.port() + path);
  }

  /** Deterministic pseudo-random bytes, made as they are read and hashed on the way; never held whole. */
  static final class GeneratedStream extends InputStream {
    private final long size;
    private final MessageDigest sha256;
    private long produced;
    private long state = 0x9E3779B97F4A7C15L;

    GeneratedStream(long size) throws Exception {
      this.size = size;
      this.sha256 = MessageDigest.getInstance("SHA-256");
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (produced >= size) {
        return -1;
      }
      int n = (int) Math.min(len, size - produced);
      for (int i = 0; i < n; i++) {
        if (((produced + i) & 7) == 0) {
          state ^= state << 13;
          state ^= state >>> 7;
          state ^= state << 17;
        }
        b[off + i] = (byte) (state >>> (((produced + i) & 7) * 8));
      }
      sha256.update(b, off, n);
      produced += n;
      return n;
    }

    String digest() {
      return "sha256:" + HexFormat.of().formatHex(sha256.digest());
    }
  }

  @Test
  void twoGibibyteBlobStreamsThroughASmallHeap() throws Exception {
    HttpResponse<String> start = http.send(HttpRequest.newBuilder(uri("/v2/" + REPO + "/blobs/uploads/"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(202, start.statusCode(), start::body);
    String location = URI.create(start.headers().firstValue("Location").orElseThrow()).getPath();

    // One PATCH, chunked (no length given), as docker and containerd send a layer.
    GeneratedStream body = new GeneratedStream(SIZE);
    HttpResponse<String> patch = http.send(HttpRequest.newBuilder(uri(location))
        .method("PATCH", HttpRequest.BodyPublishers.ofInputStream(() -> body))
        .header("Content-Type", "application/octet-stream")
        .timeout(Duration.ofMinutes(3)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(202, patch.statusCode(), patch::body);
    assertEquals("0-" + (SIZE - 1), patch.headers().firstValue("Range").orElse(null));
    String digest = body.digest();

    HttpResponse<String> put = http.send(HttpRequest.newBuilder(uri(location + "?digest=" + digest))
        .PUT(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofMinutes(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(201, put.statusCode(), put::body);
    assertEquals(digest, put.headers().firstValue("Docker-Content-Digest").orElse(null));

    HttpResponse<InputStream> get = http.send(HttpRequest.newBuilder(uri("/v2/" + REPO + "/blobs/" + digest))
        .timeout(Duration.ofMinutes(3)).build(), HttpResponse.BodyHandlers.ofInputStream());
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
    assertEquals(SIZE, received);
    assertEquals(digest, "sha256:" + HexFormat.of().formatHex(back.digest()), "the blob came back different");

    assertTrue(berth.isAlive(), "the server process died");
    System.out.printf("filesystem, 2 GiB up and down: peak RSS of the server %d MiB%n",
        berth.procStatusBytes("VmHWM") >> 20);
    HttpResponse<String> ping = http.send(HttpRequest.newBuilder(uri("/v2/")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, ping.statusCode());
  }
}
