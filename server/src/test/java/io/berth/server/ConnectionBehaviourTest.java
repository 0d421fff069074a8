package io.berth.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Keep-alive, Expect: 100-continue, requests split across reads, dropped uploads, uploads across a restart. */
class ConnectionBehaviourTest extends ServerTestBase {
  static final String REPO = "team/app";

  static String head(String method, String target, String... headers) {
    return HttpFramingTest.head(method, target, headers);
  }

  /** HTTP/1.0 clients (ApacheBench, old proxies) keep a connection only when the answer says keep-alive. */
  @Test
  void http10KeepAliveIsConfirmedAndHttp10WithoutItIsClosed() throws IOException {
    try (RawHttp c = new RawHttp(port())) {
      for (int i = 0; i < 3; i++) {
        RawHttp.Response ping = c.send("GET /v2/ HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").read();
        assertEquals(200, ping.status());
        assertEquals("keep-alive", ping.header("Connection").toLowerCase(java.util.Locale.ROOT));
      }
    }
    try (RawHttp c = new RawHttp(port())) {
      RawHttp.Response ping = c.send("GET /v2/ HTTP/1.0\r\n\r\n").read();
      assertEquals(200, ping.status());
      assertTrue(ping.closes(), ping::toString);
      assertNull(c.readOrEof(), "closed after the answer");
    }
  }

  @Test
  void severalRequestsOnOneConnection() throws IOException {
    byte[] content = randomBytes(50_000, 1);
    String digest = sha256(content);
    try (RawHttp c = new RawHttp(port())) {
      RawHttp.Response ping = c.send(head("GET", "/v2/")).read();
      assertEquals(200, ping.status());
      assertEquals("registry/2.0", ping.header("Docker-Distribution-API-Version"));

      RawHttp.Response start = c.send(head("POST", "/v2/" + REPO + "/blobs/uploads/", "Content-Length: 0")).read();
      assertEquals(202, start.status(), start::toString);
      String location = start.header("Location");

      c.send(head("PATCH", location, "Content-Length: 20000", "Content-Range: 0-19999"));
      RawHttp.Response p1 = c.send(slice(content, 0, 20_000)).read();
      assertEquals(202, p1.status(), p1::toString);
      assertEquals("0-19999", p1.header("Range"));

      RawHttp.Response status = c.send(head("GET", location)).read();
      assertEquals(204, status.status());
      assertEquals("0-19999", status.header("Range"));

      c.send(head("PUT", location + "?digest=" + digest, "Content-Length: 30000"));
      RawHttp.Response done = c.send(slice(content, 20_000, 50_000)).read();
      assertEquals(201, done.status(), done::toString);
      assertEquals(digest, done.header("Docker-Content-Digest"));

      RawHttp.Response h = c.send(head("HEAD", "/v2/" + REPO + "/blobs/" + digest)).readHeadResponse();
      assertEquals(200, h.status());
      assertEquals("50000", h.header("Content-Length"));

      RawHttp.Response g = c.send(head("GET", "/v2/" + REPO + "/blobs/" + digest)).read();
      assertEquals(200, g.status());
      assertArrayEquals(content, g.body());

      RawHttp.Response missing = c.send(head("GET", "/v2/" + REPO + "/manifests/nope")).read();
      assertError(404, "MANIFEST_UNKNOWN", missing);
      assertFalse(missing.closes(), "an error without a body to skip should keep the connection");

      // Two requests in one packet (pipelined) are answered in order.
      c.send(head("GET", "/v2/") + head("GET", location.replace(location.substring(location.lastIndexOf('/') + 1),
          "00000000-0000-0000-0000-000000000000")));
      assertEquals(200, c.read().status());
      assertError(404, "BLOB_UPLOAD_UNKNOWN", c.read());
      assertEquals(200, c.send(head("GET", "/v2/")).read().status());
    }
  }

  @Test
  void expectContinueGets100BeforeTheBodyThen202() throws IOException {
    String location = startUpload(REPO);
    byte[] body = randomBytes(10_000, 2);
    try (RawHttp c = new RawHttp(port())) {
      c.send(head("PATCH", location, "Content-Length: " + body.length, "Expect: 100-continue",
          "Content-Type: application/octet-stream"));
      RawHttp.Response interim = c.read();
      assertEquals(100, interim.status(), interim::toString);
      c.send(body);
      RawHttp.Response r = c.read();
      assertEquals(202, r.status(), r::toString);
      assertEquals("0-9999", r.header("Range"));
      // and the connection goes on
      assertEquals(200, c.send(head("GET", "/v2/")).read().status());
    }
    assertEquals("0-9999", uploadRange(location));
  }

  @Test
  void refusedRequestWithExpectContinueGetsItsErrorAndNo100() throws IOException {
    String unknown = "/v2/" + REPO + "/blobs/uploads/11111111-2222-3333-4444-555555555555";
    try (RawHttp c = new RawHttp(port())) {
      c.send(head("PATCH", unknown, "Content-Length: 10000", "Expect: 100-continue"));
      RawHttp.Response r = c.read();
      assertError(404, "BLOB_UPLOAD_UNKNOWN", r);
    }
    try (RawHttp c = new RawHttp(port())) {
      c.send(head("PATCH", "/v2/Bad/blobs/uploads/11111111-2222-3333-4444-555555555555",
          "Content-Length: 10000", "Expect: 100-continue"));
      assertError(400, "NAME_INVALID", c.read());
    }
  }

  @Test
  void requestHeadSplitAcrossReadsIsServed() throws IOException {
    // Real networks split heads: a head in two TCP segments, and one larger than a first socket read.
    try (RawHttp c = new RawHttp(port(), 10_000)) {
      c.send("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      sleep(100); // let the first part be read on its own
      c.send("Accept: */*\r\n\r\n");
      RawHttp.Response r = c.readOrEof();
      assertNotNull(r, "no answer to a request head sent in two parts");
      assertEquals(200, r.status());
    }
    try (RawHttp c = new RawHttp(port(), 10_000)) {
      String token = "x".repeat(3000); // a long Authorization header, as bearer tokens are
      c.send(head("GET", "/v2/", "Authorization: Bearer " + token));
      RawHttp.Response r = c.readOrEof();
      assertNotNull(r, "no answer to a 3 KB request head");
      assertEquals(200, r.status());
    }
  }

  @Test
  void chunkedPatchWithFramesSplitAcrossReadsCompletes() throws IOException {
    byte[] content = randomBytes(30_000, 3);
    String location = startUpload(REPO);
    try (RawHttp c = new RawHttp(port(), 10_000)) {
      c.send(head("PATCH", location, "Transfer-Encoding: chunked"));
      for (int off = 0; off < content.length; off += 10_000) {
        byte[] piece = slice(content, off, off + 10_000);
        c.send(Integer.toHexString(piece.length) + "\r\n"); // size line alone in its segment
        sleep(50);
        c.send(piece);
        c.send("\r\n");
      }
      c.sendLastChunk();
      RawHttp.Response r = c.readOrEof();
      assertNotNull(r, "no answer to a chunked PATCH whose frames were split");
      assertEquals(202, r.status(), r::toString);
      assertEquals("0-29999", r.header("Range"));
    }
  }

  @Test
  void clientGoneMidUploadLeavesAResumablePrefix() throws IOException {
    byte[] whole = randomBytes(500_000, 4);
    String location = startUpload(REPO);
    int sent = 0;
    try (RawHttp c = new RawHttp(port())) {
      c.send(head("PATCH", location, "Transfer-Encoding: chunked", "Content-Type: application/octet-stream"));
      for (; sent < 300_000; sent += 30_000) {
        c.sendChunk(slice(whole, sent, sent + 30_000));
      }
      // Wait until the server has stored some of it, then vanish mid-body.
      eventually("some bytes stored", () -> uploadOffset(location) > 0);
    }
    long stored = settledOffset(location);
    assertTrue(stored > 0 && stored <= sent, "stored " + stored + " of " + sent + " bytes sent");
    assertEquals("0-" + (stored - 1), uploadRange(location));
    // Continue from there with Content-Range; the digest proves the stored bytes were a prefix of what was sent.
    HttpResponse<byte[]> p = patch(location, slice(whole, (int) stored, whole.length),
        "Content-Range", stored + "-" + (whole.length - 1));
    assertEquals(202, p.statusCode(), () -> text(p));
    HttpResponse<byte[]> done = putDigest(location, sha256(whole), null);
    assertEquals(201, done.statusCode(), () -> text(done));
    assertArrayEquals(whole, get("/v2/" + REPO + "/blobs/" + sha256(whole)).body());
  }

  @Test
  void uploadResumesAcrossAServerRestart() throws Exception {
    byte[] whole = randomBytes(200_000, 5);
    String location = startUpload(REPO);
    HttpResponse<byte[]> first = patch(location, slice(whole, 0, 120_000), "Content-Range", "0-119999");
    assertEquals(202, first.statusCode(), () -> text(first));

    restartServer(); // a new server (new port) over the same data root; the running hash is gone

    assertEquals("0-119999", uploadRange(location));
    assertError(416, "RANGE_INVALID", patch(location, slice(whole, 0, 120_000), "Content-Range", "0-119999"));
    HttpResponse<byte[]> rest = patch(location, slice(whole, 120_000, 200_000), "Content-Range", "120000-199999");
    assertEquals(202, rest.statusCode(), () -> text(rest));
    assertEquals("0-199999", rest.headers().firstValue("Range").orElse(null));
    HttpResponse<byte[]> done = putDigest(location, sha256(whole), null);
    assertEquals(201, done.statusCode(), () -> text(done));
    HttpResponse<byte[]> back = get("/v2/" + REPO + "/blobs/" + sha256(whole));
    assertEquals(200, back.statusCode());
    assertArrayEquals(whole, back.body());
  }

  @Test
  void wrongDigestAfterRestartIsStillRefused() throws Exception {
    byte[] whole = randomBytes(50_000, 6);
    String location = startUpload(REPO);
    assertEquals(202, patch(location, whole).statusCode());
    restartServer();
    byte[] other = Arrays.copyOf(whole, whole.length);
    other[0] ^= 1;
    assertError(400, "DIGEST_INVALID", putDigest(location, sha256(other), null));
    assertBlobAbsent(REPO, sha256(other));
    assertNull(head("/v2/" + REPO + "/blobs/" + sha256(whole)).headers().firstValue("Docker-Content-Digest")
        .orElse(null));
  }

  @Test
  void slowClientThatFinishesItsHeadGetsAnAnswer() throws Exception {
    byte[] head = "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    try (RawHttp c = new RawHttp(port(), 15_000)) {
      for (byte b : head) {
        c.send(new byte[] {b});
        sleep(100);
      }
      RawHttp.Response r = c.readOrEof();
      assertNotNull(r, "no answer to a request whose head arrived a byte at a time");
      assertEquals(200, r.status(), r::toString);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void stoppingLetsAnUploadInProgressFinish() throws Exception {
    byte[] whole = randomBytes(200_000, 21);
    String location = startUpload(REPO);
    try (RawHttp c = new RawHttp(port())) {
      c.send(head("PATCH", location, "Transfer-Encoding: chunked"));
      c.sendChunk(slice(whole, 0, 100_000));
      ConnectionBehaviourTest.sleep(300); // the request is in progress when the stop begins
      Thread stopping = Thread.ofVirtual().start(server::close);
      ConnectionBehaviourTest.sleep(300);
      assertTrue(stopping.isAlive(), "the stop waits for the upload in progress");
      c.sendChunk(slice(whole, 100_000, 200_000));
      c.sendLastChunk();
      RawHttp.Response r = c.read();
      assertEquals(202, r.status(), r::toString);
      stopping.join(10_000);
      assertTrue(!stopping.isAlive(), "stopped once the request was answered");
    }
    server = startServer(config());
    assertEquals(200_000, uploadOffset(location), "what was acknowledged is there after the restart");
  }


  @Test
  void aBodyOfThousandsOfTinyChunksIsTakenWhole() throws Exception {
    // Each one-byte chunk is a message of its own; handing them over must not nest a call per message (it once
    // overflowed the stack inside Netty's timer heap and broke the event loop for every later connection).
    String location = startUpload(REPO);
    byte[] big = randomBytes(4 << 20, 31);
    int tiny = 20_000;
    try (RawHttp c = new RawHttp(port())) {
      // a large body first, so the connection's receive buffer grows and one read decodes many tiny chunks
      c.send(head("PATCH", location, "Content-Length: " + big.length));
      c.send(big);
      RawHttp.Response first = c.read();
      assertEquals(202, first.status(), first::toString);
      StringBuilder body = new StringBuilder(head("PATCH", location, "Transfer-Encoding: chunked"));
      body.append("1\r\nb\r\n".repeat(tiny)).append("0\r\n\r\n");
      c.send(body.toString());
      RawHttp.Response second = c.read();
      assertEquals(202, second.status(), second::toString);
      assertEquals("0-" + (big.length + tiny - 1), second.header("Range"));
    }
    for (int i = 0; i < 16; i++) {
      assertEquals(200, get("/v2/").statusCode(), "connection " + i + " after the tiny chunks");
    }
  }

}
