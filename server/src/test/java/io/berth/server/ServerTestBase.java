package io.berth.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.berth.server.config.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts a registry in-process on 127.0.0.1 (an ephemeral port) over a fresh data root, deletes enabled. The data
 * root sits two levels below the test's temp directory, so a path that escaped it by {@code ../..} would still
 * land in {@link #temp}, where {@link #snapshot} sees it.
 */
abstract class ServerTestBase {
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path temp;
  Path root;
  RegistryServer server;
  HttpClient http;

  @BeforeEach
  void startServer() throws Exception {
    root = temp.resolve("srv").resolve("data");
    Files.createDirectories(root);
    server = startServer(config());
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  /** Starts the server under test; override to run it over another storage backend. */
  RegistryServer startServer(ServerConfig config) throws Exception {
    return RegistryServer.start(config);
  }

  /** The configuration tests run with; override to change it. */
  ServerConfig config() {
    return ServerConfig.DEFAULTS.withAddr("127.0.0.1:0").withFilesystemRoot(root).withDeleteEnabled(true);
  }

  @AfterEach
  void stopServer() {
    if (http != null) {
      http.close();
    }
    if (server != null) {
      server.close();
    }
  }

  void restartServer() throws Exception {
    server.close();
    server = startServer(config());
  }

  int port() {
    return server.port();
  }

  URI uri(String path) {
    return URI.create(server.baseUrl() + path);
  }

  // ---- HTTP via java.net.http ----

  HttpResponse<byte[]> send(HttpRequest.Builder request) {
    try {
      return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  HttpResponse<byte[]> get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  HttpResponse<byte[]> head(String path) {
    return send(HttpRequest.newBuilder(uri(path)).method("HEAD", HttpRequest.BodyPublishers.noBody()));
  }

  HttpResponse<byte[]> request(String method, String path, byte[] body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return send(b);
  }

  /** POST .../blobs/uploads/: returns the upload's Location path. */
  String startUpload(String repo) {
    HttpResponse<byte[]> r = request("POST", "/v2/" + repo + "/blobs/uploads/", null);
    assertEquals(202, r.statusCode(), () -> "start upload: " + text(r));
    String location = r.headers().firstValue("Location").orElseThrow();
    return URI.create(location).getPath();
  }

  /** The upload's UUID, the last path segment of its location. */
  static String uuidOf(String location) {
    return location.substring(location.lastIndexOf('/') + 1);
  }

  HttpResponse<byte[]> patch(String location, byte[] body, String... headers) {
    return request("PATCH", location, body, headers);
  }

  HttpResponse<byte[]> putDigest(String location, String digest, byte[] body) {
    return request("PUT", location + "?digest=" + digest, body);
  }

  /** GET on the upload: its {@code Range} header (such as {@code 0-41}). */
  String uploadRange(String location) {
    HttpResponse<byte[]> r = get(location);
    assertEquals(204, r.statusCode(), () -> "upload status: " + text(r));
    return r.headers().firstValue("Range").orElseThrow();
  }

  /** Bytes the upload holds, from its Range header. */
  long uploadOffset(String location) {
    String range = uploadRange(location);
    long end = Long.parseLong(range.substring(range.indexOf('-') + 1));
    return range.equals("0-0") ? 0 : end + 1; // distribution's form: 0-0 is an empty upload (tests avoid 1 byte)
  }

  /**
   * Once the server has let go of an upload (its cleanup after a dropped connection is asynchronous), its size.
   * An empty PATCH is the probe: it is refused while another request still holds the upload.
   */
  long settledOffset(String location) {
    // The server may not even have started on an abandoned request when a first probe gets in, so the offset
    // counts as settled once two probes a little apart agree.
    long previous = -2;
    for (int probes = 0; probes < 50; probes++) {
      long offset = probeOffset(location);
      if (offset == previous) {
        return offset;
      }
      previous = offset;
      ConnectionBehaviourTest.sleep(300);
    }
    fail("upload " + location + " never settled");
    return -1;
  }

  private long probeOffset(String location) {
    AtomicLong offset = new AtomicLong(-1);
    eventually("upload " + location + " released", () -> {
      HttpResponse<byte[]> r = patch(location, new byte[0]);
      if (r.statusCode() == 202) {
        String range = r.headers().firstValue("Range").orElseThrow();
        offset.set(range.equals("0-0") ? 0 : Long.parseLong(range.substring(2)) + 1);
        return true;
      }
      assertError(400, "BLOB_UPLOAD_INVALID", r); // "being written by another request", and nothing else
      return false;
    });
    return offset.get();
  }

  /** Uploads a blob (POST, PATCH, PUT) and checks the 201. Returns its digest. */
  String pushBlob(String repo, byte[] content) {
    String location = startUpload(repo);
    HttpResponse<byte[]> p = patch(location, content, "Content-Type", "application/octet-stream");
    assertEquals(202, p.statusCode(), () -> "patch: " + text(p));
    String digest = sha256(content);
    HttpResponse<byte[]> r = putDigest(location, digest, null);
    assertEquals(201, r.statusCode(), () -> "complete: " + text(r));
    assertEquals(digest, r.headers().firstValue("Docker-Content-Digest").orElse(null));
    return digest;
  }

  HttpResponse<byte[]> putManifest(String repo, String reference, String mediaType, byte[] manifest) {
    return request("PUT", "/v2/" + repo + "/manifests/" + reference, manifest, "Content-Type", mediaType);
  }

  /** A small image: a config blob and one layer, pushed, and an OCI manifest for them (not pushed). */
  byte[] pushImageBlobs(String repo, String seed) {
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":\"" + seed + "\"}").getBytes(UTF_8);
    byte[] layer = randomBytes(3000, seed.hashCode());
    String configDigest = pushBlob(repo, config);
    String layerDigest = pushBlob(repo, layer);
    return ociManifest(configDigest, config.length, layerDigest, layer.length);
  }

  static byte[] ociManifest(String configDigest, long configSize, String layerDigest, long layerSize) {
    return ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest
        + "\",\"size\":" + configSize + "},"
        + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + layerDigest
        + "\",\"size\":" + layerSize + "}]}").getBytes(UTF_8);
  }

  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

  // ---- state that must survive a bad request ----

  /** Content stored before a bad request: a blob, and a manifest under a tag, in {@code repo}. */
  record Baseline(String repo, byte[] blob, String blobDigest, String tag, byte[] manifest, String manifestDigest) {}

  Baseline storeBaseline(String repo) {
    byte[] blob = randomBytes(5000, 42);
    String blobDigest = pushBlob(repo, blob);
    byte[] manifest = pushImageBlobs(repo, "baseline-" + repo);
    HttpResponse<byte[]> r = putManifest(repo, "v1", OCI_MANIFEST, manifest);
    assertEquals(201, r.statusCode(), () -> "baseline manifest: " + text(r));
    return new Baseline(repo, blob, blobDigest, "v1", manifest, sha256(manifest));
  }

  /** The baseline reads back unchanged: blob bytes, the manifest by tag and by digest, the tag list. */
  void assertBaselineIntact(Baseline b) {
    HttpResponse<byte[]> blob = get("/v2/" + b.repo() + "/blobs/" + b.blobDigest());
    assertEquals(200, blob.statusCode(), () -> "baseline blob: " + text(blob));
    assertArrayEquals(b.blob(), blob.body(), "baseline blob bytes changed");
    for (String ref : new String[] {b.tag(), b.manifestDigest()}) {
      HttpResponse<byte[]> m = get("/v2/" + b.repo() + "/manifests/" + ref);
      assertEquals(200, m.statusCode(), () -> "baseline manifest " + ref + ": " + text(m));
      assertArrayEquals(b.manifest(), m.body(), "baseline manifest bytes changed (" + ref + ")");
      assertEquals(b.manifestDigest(), m.headers().firstValue("Docker-Content-Digest").orElse(null));
    }
    HttpResponse<byte[]> tags = get("/v2/" + b.repo() + "/tags/list");
    assertEquals(200, tags.statusCode(), () -> "baseline tags: " + text(tags));
    JsonNode list = json(tags.body()).get("tags");
    assertEquals("[\"" + b.tag() + "\"]", list.toString());
  }

  /** No blob stored under this digest: 404 from the API and no data file on disk. */
  void assertBlobAbsent(String repo, String digest) {
    HttpResponse<byte[]> r = head("/v2/" + repo + "/blobs/" + digest);
    assertEquals(404, r.statusCode(), () -> "blob " + digest + " should be absent");
    String hex = digest.substring(digest.indexOf(':') + 1);
    assertFalse(Files.exists(root.resolve("blobs/sha256/" + hex.substring(0, 2) + "/" + hex)),
        "a data directory exists for " + digest);
  }

  /** Every regular file under the test's temp directory (data root included) with its SHA-256. */
  Map<String, String> snapshot() {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(temp)) {
      walk.filter(Files::isRegularFile).forEach(p -> {
        try {
          files.put(temp.relativize(p).toString(), sha256(Files.readAllBytes(p)));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
  }

  // ---- assertions on error answers ----

  /** The response is the spec's error body with this status and code (and no stack trace). */
  static void assertError(int status, String code, int actualStatus, byte[] body, String what) {
    String text = new String(body, UTF_8);
    assertEquals(status, actualStatus, () -> what + ": " + text);
    assertNoStackTrace(text);
    JsonNode errors = json(body).get("errors");
    assertNotNull(errors, () -> what + ": no errors array in " + text);
    assertTrue(errors.isArray() && errors.size() > 0, () -> what + ": " + text);
    assertEquals(code, errors.get(0).get("code").asText(), () -> what + ": " + text);
  }

  static void assertError(int status, String code, HttpResponse<byte[]> r) {
    assertError(status, code, r.statusCode(), r.body(), r.request().method() + " " + r.uri());
  }

  static void assertError(int status, String code, RawHttp.Response r) {
    assertError(status, code, r.status(), r.body(), "raw response");
  }

  static void assertNoStackTrace(String text) {
    assertFalse(text.contains("Exception") || text.contains("\tat ") || text.contains("at io.berth")
        || text.contains("at io.netty"), () -> "response leaks internals: " + text);
  }

  static JsonNode json(byte[] body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return fail("not JSON: " + new String(body, UTF_8));
    }
  }

  static String text(HttpResponse<byte[]> r) {
    return r.statusCode() + " " + new String(r.body(), UTF_8);
  }

  // ---- bytes ----

  static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static String sha256(byte[] content) {
    try {
      return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] r = new byte[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  static byte[] slice(byte[] a, int from, int to) {
    return java.util.Arrays.copyOfRange(a, from, to);
  }

  /**
   * Waits for something the server does after a connection ends (its cleanup runs asynchronously). This is a
   * deadline for an eventual state, not a performance assertion.
   */
  static void eventually(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("never happened: " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }
}
