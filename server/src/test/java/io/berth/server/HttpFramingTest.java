package io.berth.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests whose framing is wrong (Content-Length mismatches, malformed chunked encoding, both Content-Length and
 * Transfer-Encoding, oversize heads): they fail cleanly, the connection ends where it must, nothing smuggled runs,
 * and an upload keeps exactly the bytes that really arrived.
 */
class HttpFramingTest extends ServerTestBase {
  static final String REPO = "team/app";
  Baseline baseline;

  @BeforeEach
  void storeBaseline() {
    baseline = storeBaseline(REPO);
  }

  static String head(String method, String target, String... headers) {
    StringBuilder b = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (String h : headers) {
      b.append(h).append("\r\n");
    }
    return b.append("\r\n").toString();
  }

  /** Sends what is left of {@code whole} from {@code offset} with Content-Range, completes, reads back. */
  void resumeAndComplete(String location, byte[] whole, long offset) {
    int from = (int) offset;
    HttpResponse<byte[]> p = patch(location, slice(whole, from, whole.length),
        "Content-Range", from + "-" + (whole.length - 1));
    assertEquals(202, p.statusCode(), () -> "resume: " + text(p));
    assertEquals("0-" + (whole.length - 1), p.headers().firstValue("Range").orElse(null));
    HttpResponse<byte[]> done = putDigest(location, sha256(whole), null);
    assertEquals(201, done.statusCode(), () -> "complete: " + text(done));
    HttpResponse<byte[]> back = get("/v2/" + REPO + "/blobs/" + sha256(whole));
    assertEquals(200, back.statusCode());
    assertArrayEquals(whole, back.body());
  }

  /** After the answer (if any) to a refused request, the server must end the connection. */
  static void assertNoSuccessAndClosed(RawHttp c) throws IOException {
    RawHttp.Response r = c.readOrEof();
    if (r != null) {
      assertTrue(r.status() >= 400 && r.status() < 500, () -> "expected a 4xx or the connection to end: " + r);
      assertNoStackTrace(r.bodyText());
    }
    assertTrue(c.closedByServer(), "the server kept the connection open");
  }

  // ---- Content-Length mismatches ----

  @Test
  void patchBodyShorterThanDeclaredKeepsWhatArrivedAndResumes() throws IOException {
    byte[] whole = randomBytes(100_000, 1);
    String location = startUpload(REPO);
    try (RawHttp c = new RawHttp(port())) {
      c.send(head("PATCH", location, "Content-Length: " + whole.length, "Content-Type: application/octet-stream"));
      c.send(slice(whole, 0, 60_000));
      eventually("60000 bytes stored", () -> uploadOffset(location) == 60_000);
      c.socket().shutdownOutput(); // the client gives up: no more body will come
      assertNoSuccessAndClosed(c);
    }
    assertEquals(60_000, settledOffset(location), "the upload must hold exactly the bytes that arrived");
    resumeAndComplete(location, whole, 60_000);
    assertBaselineIntact(baseline);
  }

  @Test
  void patchConnectionDroppedAbruptlyKeepsAPrefixAndResumes() throws IOException {
    byte[] whole = randomBytes(300_000, 2);
    String location = startUpload(REPO);
    try (RawHttp c = new RawHttp(port())) {
      c.send(head("PATCH", location, "Content-Length: " + whole.length));
      c.send(slice(whole, 0, 200_000));
    } // closed at once, with the server possibly still reading
    long stored = settledOffset(location);
    assertTrue(stored <= 200_000, "stored " + stored + " bytes, more than were sent");
    // The digest check at the end proves the stored bytes are a prefix of what was sent.
    resumeAndComplete(location, whole, stored);
  }

  @Test
  void putBodyShorterThanDeclaredStoresNoBlobAndResumes() throws IOException {
    byte[] whole = randomBytes(80_000, 3);
    String location = startUpload(REPO);
    try (RawHttp c = new RawHttp(port())) {
      c.send(head("PUT", location + "?digest=" + sha256(whole), "Content-Length: " + whole.length));
      c.send(slice(whole, 0, 50_000));
      eventually("50000 bytes stored", () -> uploadOffset(location) == 50_000);
      c.socket().shutdownOutput();
      assertNoSuccessAndClosed(c);
    }
    assertBlobAbsent(REPO, sha256(whole));
    assertEquals(50_000, settledOffset(location));
    resumeAndComplete(location, whole, 50_000);
  }

  @Test
  void patchBodyLongerThanDeclaredTakesTheDeclaredBytesAndTheRestFailsCleanly() throws IOException {
    byte[] whole = randomBytes(80_000, 4);
    String location = startUpload(REPO);
    try (RawHttp c = new RawHttp(port())) {
      c.send(concat(head("PATCH", location, "Content-Length: 50000").getBytes(ISO_8859_1), whole));
      RawHttp.Response first = c.read();
      assertEquals(202, first.status(), first::toString);
      assertEquals("0-49999", first.header("Range"));
      // The other 30000 bytes are where the next request should be: garbage, refused, connection ended.
      assertNoSuccessAndClosed(c);
    }
    assertEquals(50_000, settledOffset(location));
    HttpResponse<byte[]> done = putDigest(location, sha256(slice(whole, 0, 50_000)), null);
    assertEquals(201, done.statusCode(), () -> text(done));
    assertBlobAbsent(REPO, sha256(whole));
    assertBaselineIntact(baseline);
  }

  // ---- malformed chunked encoding ----

  @ParameterizedTest
  @ValueSource(strings = {
      "zz\r\nhello\r\n0\r\n\r\n",                       // chunk size not hex
      "-5\r\nhello\r\n0\r\n\r\n",                       // negative size
      "fffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",    // size overflows
      "5\r\nhello world\r\n0\r\n\r\n",                  // chunk longer than its size (no CRLF after 5 bytes)
      "5\r\nhelloXX0\r\n\r\n",                          // missing chunk delimiter
      " \r\n\r\n"})                                     // empty size line
  void malformedChunkedBodyIs400AndClosesAndLeavesTheUploadIntact(String body) throws IOException {
    byte[] first = randomBytes(1000, 5);
    String location = startUpload(REPO);
    assertEquals(202, patch(location, first).statusCode());
    try (RawHttp c = new RawHttp(port())) {
      c.send(head("PATCH", location, "Transfer-Encoding: chunked") + body);
      RawHttp.Response r = c.readOrEof();
      assertNotNull(r, "no answer to a malformed chunked body");
      assertEquals(400, r.status(), r::toString);
      assertNoStackTrace(r.bodyText());
      assertTrue(c.closedByServer(), "connection left open after a malformed chunked body");
    }
    long stored = settledOffset(location);
    // Where a whole chunk ("hello") came before the framing broke, keeping it is fine: it really arrived.
    byte[] arrived = body.startsWith("5\r\nhello") ? concat(first, "hello".getBytes(ISO_8859_1)) : first;
    assertTrue(stored == 1000 || stored == arrived.length, "stored " + stored + " bytes; received " + arrived.length);
    byte[] whole = concat(slice(arrived, 0, (int) stored), randomBytes(500, 6));
    resumeAndComplete(location, whole, stored);
  }

  @Test
  void malformedSecondChunkKeepsOnlyTheGoodFirstChunk() throws IOException {
    byte[] whole = randomBytes(10_000, 7);
    String location = startUpload(REPO);
    try (RawHttp c = new RawHttp(port())) {
      c.send(head("PATCH", location, "Transfer-Encoding: chunked"));
      c.sendChunk(slice(whole, 0, 4000));
      c.send("nothex\r\n" + "x".repeat(100) + "\r\n0\r\n\r\n");
      RawHttp.Response r = c.readOrEof();
      assertNotNull(r, "no answer to a malformed chunked body");
      assertEquals(400, r.status(), r::toString);
      assertTrue(c.closedByServer());
    }
    long stored = settledOffset(location);
    assertTrue(stored == 0 || stored == 4000, "stored " + stored + " bytes: not a whole good chunk");
    resumeAndComplete(location, whole, stored);
  }

  // ---- request smuggling: Content-Length with Transfer-Encoding ----

  static final String[] FRAMINGS = {
      "Content-Length: %d|Transfer-Encoding: chunked",
      "Transfer-Encoding: chunked|Content-Length: %d",
      "Content-Length: %d|Transfer-Encoding: Chunked",
      "Content-Length: %d|Transfer-Encoding:  chunked ",
      "Content-Length: %d|Transfer-Encoding: gzip, chunked",
      "Content-Length: %d|Transfer-Encoding: chunked|Transfer-Encoding: identity",
      "Content-Length: 5|Content-Length: %d",
      "Content-Length: 5, %d",
  };

  @Test
  void contentLengthWithTransferEncodingIsRefusedAndNothingSmuggledRuns() throws IOException {
    String location = startUpload(REPO);
    byte[] first = randomBytes(1000, 8);
    assertEquals(202, patch(location, first).statusCode());
    String smuggled = "DELETE /v2/" + REPO + "/manifests/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        + "DELETE /v2/" + REPO + "/blobs/" + baseline.blobDigest() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    String body = "0\r\n\r\n" + smuggled;
    StringBuilder problems = new StringBuilder();
    for (String framing : FRAMINGS) {
      String[] headers = String.format(framing, body.length()).split("\\|");
      try (RawHttp c = new RawHttp(port())) {
        c.send(head("PATCH", location, headers) + body); // one packet: head, body and the smuggled requests
        byte[] all = c.readToEnd();
        String answer = new String(all, ISO_8859_1);
        int responses = answer.split("HTTP/1\\.1 ", -1).length - 1;
        if (!answer.startsWith("HTTP/1.1 400 ") || responses != 1) {
          problems.append("\n").append(framing).append(" -> ").append(answer.isEmpty() ? "(nothing)" : answer);
        }
      }
      assertBaselineIntact(baseline); // neither smuggled DELETE ran
      assertEquals("0-999", uploadRange(location), framing + ": the refused request's body was stored");
    }
    assertEquals("", problems.toString(), "framings not refused with exactly one 400");
  }

  // ---- oversize heads ----

  @Test
  void oversizedHeadersAre431() throws IOException {
    for (String extra : new String[] {
        "X-Big: " + "a".repeat(20_000),
        "X-A: " + "a".repeat(6000) + "\r\nX-B: " + "b".repeat(6000) + "\r\nX-C: " + "c".repeat(6000)}) {
      try (RawHttp c = new RawHttp(port(), 10_000)) {
        c.send(head("GET", "/v2/", extra));
        RawHttp.Response r = c.readOrEof();
        assertNotNull(r, "connection ended without a 431");
        assertEquals(431, r.status(), r::toString);
        assertNoStackTrace(r.bodyText());
        assertTrue(c.closedByServer());
      }
    }
    assertEquals(200, get("/v2/").statusCode());
  }

  @Test
  void overLongRequestLineIs414() throws IOException {
    try (RawHttp c = new RawHttp(port(), 10_000)) {
      c.send(head("GET", "/v2/" + "a".repeat(5000) + "/tags/list"));
      RawHttp.Response r = c.readOrEof();
      assertNotNull(r, "connection ended without a 414");
      assertEquals(414, r.status(), r::toString);
      assertNoStackTrace(r.bodyText());
      assertTrue(c.closedByServer());
    }
    assertEquals(200, get("/v2/").statusCode());
  }

  @Test
  void headersJustUnderTheLimitAreServed() throws IOException {
    try (RawHttp c = new RawHttp(port(), 10_000)) {
      c.send(head("GET", "/v2/", "X-Big: " + "a".repeat(15_000)));
      RawHttp.Response r = c.read();
      assertEquals(200, r.status(), r::toString);
      assertFalse(r.closes());
    }
  }
}
