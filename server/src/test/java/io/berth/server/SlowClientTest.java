package io.berth.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.server.config.ServerConfig;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Clients that send their request head a byte at a time (every ~200 ms) must not hold up anyone else, and must be
 * dropped by the idle timeout. The idle timeout here is short (2 s); the connections that dribble are closed by it.
 */
class SlowClientTest extends ServerTestBase {
  static final int IDLE_SECONDS = 2;

  @Override
  ServerConfig config() {
    ServerConfig base = super.config();
    return base.withHttp(
        new ServerConfig.Http(base.http().addr(), IDLE_SECONDS, 30, 16384, 4096, 10, "", base.http().tls()));
  }

  /** Dribbles {@code head} one byte per 200 ms until done, stopped, or the server closes the connection. */
  static Thread dribble(RawHttp c, String head, AtomicBoolean stop, AtomicBoolean writeFailed) {
    return Thread.ofVirtual().start(() -> {
      try {
        for (byte b : head.getBytes(ISO_8859_1)) {
          if (stop.get()) {
            return;
          }
          c.send(new byte[] {b});
          Thread.sleep(200);
        }
      } catch (IOException closed) {
        writeFailed.set(true);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  @Test
  void aClientThatStopsReadingItsResponseIsDropped() throws Exception {
    int size = 32 << 20;
    String digest = pushBlob("team/app", randomBytes(size, 7));
    try (java.net.Socket socket = new java.net.Socket()) {
      socket.setReceiveBufferSize(4096); // so the blob can't all sit in buffers while we don't read
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", port()), 5000);
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write(("GET /v2/team/app/blobs/" + digest + " HTTP/1.1\r\nHost: x\r\n\r\n")
          .getBytes(ISO_8859_1));
      ConnectionBehaviourTest.sleep(4 * IDLE_SECONDS * 1000L); // read nothing for twice the idle timeout
      long received = 0;
      byte[] buf = new byte[1 << 16];
      try {
        for (int n; (n = socket.getInputStream().read(buf)) >= 0; ) {
          received += n;
        }
      } catch (java.net.SocketException reset) {
        // closed under us: also what we want
      }
      assertTrue(received < size, "the server gave up on the response after " + received + " of " + size + " bytes");
    }
    assertEquals(200, get("/v2/").statusCode(), "and serves others as before");
  }

  @Test
  void slowClientsDoNotHoldUpOthers() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    List<RawHttp> slow = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    String endless = "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "s".repeat(10_000) + "\r\n\r\n";
    try {
      for (int i = 0; i < 50; i++) {
        RawHttp c = new RawHttp(port());
        slow.add(c);
        threads.add(dribble(c, endless, stop, new AtomicBoolean()));
      }
      ConnectionBehaviourTest.sleep(300); // all of them are mid-head now
      // Meanwhile, ordinary clients get answers: pings, a whole blob push, a pull.
      for (int i = 0; i < 10; i++) {
        assertEquals(200, get("/v2/").statusCode());
      }
      byte[] blob = randomBytes(100_000, 1);
      String digest = pushBlob("team/app", blob);
      HttpResponse<byte[]> back = get("/v2/team/app/blobs/" + digest);
      assertEquals(200, back.statusCode());
      assertEquals(blob.length, back.body().length);
    } finally {
      stop.set(true);
      for (Thread t : threads) {
        t.join();
      }
      for (RawHttp c : slow) {
        c.close();
      }
    }
  }

  @Test
  void slowClientIsClosedByTheIdleTimeout() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicBoolean writeFailed = new AtomicBoolean();
    // Never finishes its head: 10 000 bytes at 5 per second would take over half an hour.
    String endless = "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "s".repeat(10_000) + "\r\n\r\n";
    try (RawHttp c = new RawHttp(port(), 60_000)) {
      Thread t = dribble(c, endless, stop, writeFailed);
      // Blocks until the server ends the connection (EOF or reset), or 60 s pass with it still open. The bound is
      // generous (the timeout is 2 s): this checks that it happens, not how fast.
      boolean closed = c.closedByServer();
      stop.set(true);
      t.join();
      assertTrue(closed, "the slow connection was never closed");
    }
    assertEquals(200, get("/v2/").statusCode());
  }

  @Test
  void headerTimeoutClosesAClientThatNeverFinishesItsHead() throws Exception {
    // idle timeout 30 s, header timeout 2 s: the dribbler must be gone well before the idle timeout could fire.
    ServerConfig cfg = super.config().withFilesystemRoot(temp.resolve("other"))
        .withHttp(
            new ServerConfig.Http("127.0.0.1:0", 30, 2, 16384, 4096, 10, "", ServerConfig.DEFAULTS.http().tls()));
    try (RegistryServer s = RegistryServer.start(cfg); RawHttp c = new RawHttp(s.port(), 20_000)) {
      AtomicBoolean stop = new AtomicBoolean();
      Thread t = dribble(c, "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "s".repeat(10_000), stop,
          new AtomicBoolean());
      boolean closed = c.closedByServer(); // false if still open after 20 s, before the idle timeout
      stop.set(true);
      t.join();
      assertTrue(closed, "http.headertimeout (2 s) did not close a client still sending its head after 20 s");
    }
  }
}
