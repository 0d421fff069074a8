package io.berth.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.server.config.ServerConfig;
import io.berth.server.tls.TestCertificates;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Berth serving HTTPS on {@code http.addr} with a certificate from a throwaway CA, and plain HTTP on
 * {@code http.plainaddr} at the same time. Blobs over TLS can't go out zero-copy (the bytes must pass through the
 * TLS engine), so whole and ranged downloads of a blob of several MiB check that path byte for byte.
 */
class HttpsTest extends ServerTestBase {
  @TempDir
  static Path certDir;
  static TestCertificates certs;

  @BeforeAll
  static void makeCertificates() {
    certs = TestCertificates.make(certDir.resolve("certs"), "localhost", "127.0.0.1");
  }

  @Override
  ServerConfig config() {
    ServerConfig base = super.config();
    return base.withHttp(base.http().withTls(certs.tls()).withPlainaddr("127.0.0.1:0"));
  }

  /** The base class's client, but trusting the test CA (and only it): every helper then speaks HTTPS. */
  @BeforeEach
  void trustTheTestCa() throws Exception {
    http.close();
    http = HttpClient.newBuilder().sslContext(certs.trustingCa()).connectTimeout(Duration.ofSeconds(10)).build();
  }

  @Test
  void pingIsServedOverHttps() {
    assertTrue(server.baseUrl().startsWith("https://"), server.baseUrl());
    HttpResponse<byte[]> r = get("/v2/");
    assertEquals(200, r.statusCode());
    assertEquals("registry/2.0", r.headers().firstValue("Docker-Distribution-API-Version").orElse(null));
    assertEquals(HttpClient.Version.HTTP_1_1, r.version(), "no ALPN offered: the client stays on HTTP/1.1");
    assertTrue(r.sslSession().isPresent(), "the response came over TLS");
  }

  @Test
  void blobsGoUpAndComeBackByteIdenticalOverHttps() {
    byte[] small = randomBytes(10_000, 1);
    HttpResponse<byte[]> monolithic = request("POST", "/v2/team/app/blobs/uploads/?digest=" + sha256(small), small,
        "Content-Type", "application/octet-stream");
    assertEquals(201, monolithic.statusCode(), () -> text(monolithic));
    assertArrayEquals(small, get("/v2/team/app/blobs/" + sha256(small)).body());

    // Several MiB: many TLS records and chunks, a partial last chunk; POST, then PUT with the whole body.
    byte[] large = randomBytes(5 * 1024 * 1024 + 4321, 2);
    String digest = sha256(large);
    HttpResponse<byte[]> put = request("PUT", startUpload("team/app") + "?digest=" + digest, large);
    assertEquals(201, put.statusCode(), () -> text(put));

    HttpResponse<byte[]> whole = get("/v2/team/app/blobs/" + digest);
    assertEquals(200, whole.statusCode());
    assertArrayEquals(large, whole.body());

    HttpResponse<byte[]> middle = request("GET", "/v2/team/app/blobs/" + digest, null, "Range", "bytes=70000-3999999");
    assertEquals(206, middle.statusCode());
    assertEquals("bytes 70000-3999999/" + large.length, middle.headers().firstValue("Content-Range").orElse(null));
    assertArrayEquals(slice(large, 70000, 4000000), middle.body());

    HttpResponse<byte[]> tail = request("GET", "/v2/team/app/blobs/" + digest, null, "Range", "bytes=-100000");
    assertEquals(206, tail.statusCode());
    assertArrayEquals(slice(large, large.length - 100000, large.length), tail.body());

    HttpResponse<byte[]> head = head("/v2/team/app/blobs/" + digest);
    assertEquals(200, head.statusCode());
    assertEquals(String.valueOf(large.length), head.headers().firstValue("Content-Length").orElse(null));
  }

  @Test
  void concurrentDownloadsOverHttpsEachGetTheirBytes() {
    byte[] blob = randomBytes(3 * 1024 * 1024 + 17, 3);
    String digest = pushBlob("team/app", blob);
    List<CompletableFuture<HttpResponse<byte[]>>> downloads = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      downloads.add(http.sendAsync(HttpRequest.newBuilder(uri("/v2/team/app/blobs/" + digest))
          .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray()));
    }
    for (CompletableFuture<HttpResponse<byte[]>> download : downloads) {
      HttpResponse<byte[]> r = download.join();
      assertEquals(200, r.statusCode());
      assertArrayEquals(blob, r.body());
    }
  }

  @Test
  void aClientThatDoesNotTrustTheCaFailsTheHandshake() {
    try (HttpClient untrusting = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
      IOException e = assertThrows(IOException.class, () -> untrusting.send(
          HttpRequest.newBuilder(uri("/v2/")).build(), HttpResponse.BodyHandlers.ofByteArray()));
      assertInstanceOf(SSLHandshakeException.class, e, "the JDK's trust store does not know the test CA");
    }
    assertEquals(200, get("/v2/").statusCode(), "and the server serves the next client");
  }

  @Test
  void plainHttpToTheHttpsPortIsAnsweredWith400AndClosed() throws IOException {
    try (RawHttp c = new RawHttp(port(), 10_000)) {
      RawHttp.Response r = c.send("GET /v2/ HTTP/1.1\r\nHost: localhost\r\n\r\n").read();
      assertEquals(400, r.status());
      assertEquals("Client sent an HTTP request to an HTTPS server port\n",
          new String(r.body(), StandardCharsets.US_ASCII));
      assertTrue(c.closedByServer());
    }
    // Bytes that are neither HTTP nor TLS: the connection just ends.
    try (RawHttp c = new RawHttp(port(), 10_000)) {
      c.send(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, '\r', '\n', '\r', '\n'});
      assertNull(c.readOrEof());
    }
    HttpResponse<byte[]> viaJavaClient =
        send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + "/v2/")));
    assertEquals(400, viaJavaClient.statusCode());
    assertEquals(200, get("/v2/").statusCode(), "HTTPS still works");
  }

  @Test
  void thePlainListenerServesTheSameRegistryWithoutTls() {
    byte[] blob = randomBytes(2 * 1024 * 1024 + 5, 4);
    String digest = pushBlob("team/app", blob); // over HTTPS
    String plain = "http://127.0.0.1:" + server.plainPort();
    HttpResponse<byte[]> ping = send(HttpRequest.newBuilder(URI.create(plain + "/v2/")));
    assertEquals(200, ping.statusCode());
    assertTrue(ping.sslSession().isEmpty());
    HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(plain + "/v2/team/app/blobs/" + digest)));
    assertEquals(200, r.statusCode());
    assertArrayEquals(blob, r.body(), "zero-copy on the plain listener, the same bytes");
    // And it speaks no TLS.
    IOException e = assertThrows(IOException.class, () -> http.send(HttpRequest.newBuilder(
        URI.create("https://127.0.0.1:" + server.plainPort() + "/v2/")).build(), HttpResponse.BodyHandlers.ofString()));
    assertInstanceOf(SSLException.class, e);
  }

  @Test
  void tls12IsAcceptedByDefaultAndRefusedWithMinimumVersionTls13() throws Exception {
    HttpClient.Builder tls12Only = HttpClient.newBuilder().sslContext(certs.trustingCa())
        .sslParameters(new SSLParameters(null, new String[] {"TLSv1.2"}));
    try (HttpClient client = tls12Only.build()) {
      HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri("/v2/")).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertEquals("TLSv1.2", r.sslSession().orElseThrow().getProtocol());
    }
    ServerConfig.Tls tls13 = new ServerConfig.Tls(certs.certificate().toString(), certs.key().toString(), "tls1.3");
    ServerConfig cfg = ServerConfig.DEFAULTS.withAddr("127.0.0.1:0").withFilesystemRoot(temp.resolve("tls13"));
    try (RegistryServer s = RegistryServer.start(cfg.withHttp(cfg.http().withTls(tls13)));
        HttpClient client = tls12Only.build()) {
      URI ping = URI.create(s.baseUrl() + "/v2/");
      assertThrows(SSLHandshakeException.class,
          () -> client.send(HttpRequest.newBuilder(ping).build(), HttpResponse.BodyHandlers.ofByteArray()));
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(ping).build(), HttpResponse.BodyHandlers.ofByteArray());
      assertEquals("TLSv1.3", r.sslSession().orElseThrow().getProtocol());
    }
  }

  /**
   * A TLS 1.2 client may not start a new handshake on an established connection: each costs the server a
   * signature, a cheap way to burn its CPU, and no registry client needs one (Go's servers, distribution's, refuse
   * them too).
   */
  @Test
  void clientInitiatedRenegotiationIsRefused() throws Exception {
    try (SSLSocket socket = (SSLSocket) certs.trustingCa().getSocketFactory().createSocket("127.0.0.1", port())) {
      socket.setSoTimeout(10_000);
      socket.setEnabledProtocols(new String[] {"TLSv1.2"});
      java.util.concurrent.atomic.AtomicInteger handshakes = new java.util.concurrent.atomic.AtomicInteger();
      socket.addHandshakeCompletedListener(e -> handshakes.incrementAndGet());
      socket.startHandshake();
      String answer;
      try {
        socket.startHandshake(); // renegotiation
        socket.getOutputStream().write("GET /v2/ HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        byte[] buffer = new byte[12];
        int n = socket.getInputStream().read(buffer);
        answer = n < 0 ? "closed" : new String(buffer, 0, n, StandardCharsets.US_ASCII);
      } catch (IOException refused) {
        answer = refused.toString();
      }
      assertTrue(!answer.startsWith("HTTP/1.1"), "the connection went on after a renegotiation: " + answer);
      assertTrue(handshakes.get() <= 1, handshakes + " handshakes completed");
    }
  }

  @Test
  void aClientThatNeverFinishesTheHandshakeIsDroppedAfterTheHeaderTimeout() throws Exception {
    // idle timeout 30 s, header timeout 2 s: the handshake gets the header timeout.
    ServerConfig base = ServerConfig.DEFAULTS.withAddr("127.0.0.1:0").withFilesystemRoot(temp.resolve("slow"));
    ServerConfig cfg = base.withHttp(
        new ServerConfig.Http("127.0.0.1:0", 30, 2, 16384, 4096, 10, "", certs.tls()));
    try (RegistryServer s = RegistryServer.start(cfg); RawHttp c = new RawHttp(s.port(), 20_000)) {
      c.send(new byte[] {0x16, 0x03, 0x01}); // the start of a TLS record, and no more
      long started = System.nanoTime();
      assertTrue(c.closedByServer());
      long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
      assertTrue(seconds >= 1 && seconds < 10, "closed after " + seconds + " s");
    }
  }

  @Test
  void badTlsSettingsStopTheStartWithAClearMessage() throws IOException {
    ServerConfig base = config();
    ServerConfig certificateOnly = base.withHttp(base.http().withTls(
        new ServerConfig.Tls(certs.certificate().toString(), "", "tls1.2")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RegistryServer.start(certificateOnly));
    assertTrue(e.getMessage().contains("http.tls.key is not set"), e.getMessage());

    Path garbage = Files.writeString(temp.resolve("garbage.key"), "-----BEGIN PRIVATE KEY-----\nAAAA\n"
        + "-----END PRIVATE KEY-----\n");
    ServerConfig garbageKey = base.withHttp(base.http().withTls(
        new ServerConfig.Tls(certs.certificate().toString(), garbage.toString(), "tls1.2")));
    e = assertThrows(IllegalArgumentException.class, () -> RegistryServer.start(garbageKey));
    assertTrue(e.getMessage().startsWith("http.tls.key " + garbage + ": "), e.getMessage());
  }

  @Test
  void inTokenModeTheRealmIsHttpsAndTheTokenEndpointAnswersOverTls() throws Exception {
    Path htpasswd = temp.resolve("https-htpasswd");
    io.berth.server.auth.Htpasswd.setPassword(htpasswd, "alice", "alice-pw".toCharArray());
    ServerConfig base = config().withFilesystemRoot(temp.resolve("https-token"));
    ServerConfig cfg = base.withAuth(new ServerConfig.Auth("token", "berth",
        new ServerConfig.HtpasswdFile(htpasswd.toString()), new ServerConfig.Token("", "berth", "berth",
            temp.resolve("https-token-key.json").toString(), 300, 1, "", ""), java.util.Map.of(), List.of(
            new ServerConfig.AccessRule("team/*", false, List.of("alice"), List.of(), false, List.of("pull")))));
    try (RegistryServer s = RegistryServer.start(cfg)) {
      String origin = "https://localhost:" + s.port();
      HttpResponse<String> challenged = http.send(HttpRequest.newBuilder(URI.create(origin + "/v2/team/app/tags/list"))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(401, challenged.statusCode());
      assertEquals("Bearer realm=\"" + origin + "/auth/token\",service=\"berth\",scope=\"repository:team/app:pull\"",
          challenged.headers().firstValue("WWW-Authenticate").orElse(null));
      HttpResponse<String> token = http.send(HttpRequest.newBuilder(URI.create(origin
              + "/auth/token?service=berth&scope=repository:team/app:pull"))
          .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString("alice:alice-pw".getBytes(
              StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, token.statusCode(), token.body());
      String bearer = new com.fasterxml.jackson.databind.ObjectMapper().readTree(token.body()).get("token").asText();
      HttpResponse<String> tags = http.send(HttpRequest.newBuilder(URI.create(origin + "/v2/team/app/tags/list"))
          .header("Authorization", "Bearer " + bearer).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(404, tags.statusCode(), "let in; the repository does not exist yet: " + tags.body());
      HttpResponse<String> plain = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.plainPort()
          + "/v2/")).build(), HttpResponse.BodyHandlers.ofString());
      assertTrue(plain.headers().firstValue("WWW-Authenticate").orElse("").startsWith(
          "Bearer realm=\"http://127.0.0.1:" + s.plainPort() + "/auth/token\""), "plain listener, plain realm");
    }
  }
}
