package io.berth.server;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A proxy on 127.0.0.1 in front of an S3 server, which misbehaves on demand the ways S3 does: it hangs (accepts
 * connections and never answers), or it answers requests with an S3 error such as {@code 503 SlowDown} (throttling)
 * or {@code 500 InternalError}. Otherwise it passes requests through untouched (signatures stay valid: the client
 * signs for the host and port it connects to, and S3Proxy checks the signature, not the address).
 *
 * <p>It reads each request's head, so it decides per request, on pooled connections too; a request answered with an
 * error has its connection closed after the answer. Starting to hang drops every open connection, as a network blip
 * would. Request bodies must have a {@code Content-Length} (the S3 driver's do).
 */
final class FaultyS3 implements AutoCloseable {
  private final ServerSocket listener;
  private final URI target;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  /** Requests still to fail with {@link #errorStatus}; 0: pass through. */
  private final AtomicInteger errorsLeft = new AtomicInteger();
  private final AtomicInteger errorsSent = new AtomicInteger();
  private volatile boolean stalling;
  private volatile int errorStatus;
  private volatile String errorCode;
  private volatile boolean closed;

  private FaultyS3(ServerSocket listener, URI target) {
    this.listener = listener;
    this.target = target;
  }

  /** Starts passing everything through to {@code target}, an {@code http://host:port} endpoint. */
  static FaultyS3 start(URI target) throws IOException {
    FaultyS3 proxy = new FaultyS3(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), target);
    Thread.ofVirtual().name("faulty-s3-accept").start(proxy::acceptLoop);
    return proxy;
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + listener.getLocalPort());
  }

  /** From now on, connections are accepted and never answered, as an S3 that hangs. */
  void stall() {
    errorsLeft.set(0);
    stalling = true;
    dropConnections();
  }

  /**
   * The next {@code requests} requests are answered with this S3 error (and their connections closed); after them,
   * requests pass again. {@code Integer.MAX_VALUE}: until {@link #pass}.
   */
  void fail(int requests, int status, String code) {
    errorStatus = status;
    errorCode = code;
    errorsLeft.set(requests);
    stalling = false;
  }

  /** Back to passing everything through. */
  void pass() {
    errorsLeft.set(0);
    stalling = false;
  }

  /** Error answers sent so far. */
  int errorsSent() {
    return errorsSent.get();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      open.add(client);
      Thread.ofVirtual().name("faulty-s3-conn").start(() -> serve(client));
    }
  }

  private void serve(Socket client) {
    Socket server = null;
    try (client) {
      InputStream in = new BufferedInputStream(client.getInputStream());
      while (true) {
        if (stalling) {
          drain(in); // never answers; ends when the client or dropConnections closes it
          return;
        }
        byte[] head = readHead(in);
        if (head == null) {
          return;
        }
        if (stalling) {
          drain(in);
          return;
        }
        if (errorsLeft.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
          answerError(client, new String(head, 0, 5, StandardCharsets.US_ASCII).equals("HEAD "));
          return;
        }
        if (server == null) {
          server = new Socket(target.getHost(), target.getPort());
          open.add(server);
          Socket from = server;
          Thread.ofVirtual().start(() -> copy(from, client)); // responses, as they come
        }
        OutputStream out = server.getOutputStream();
        out.write(head);
        long length = contentLength(head);
        byte[] buffer = new byte[64 * 1024];
        while (length > 0) {
          int n = in.read(buffer, 0, (int) Math.min(buffer.length, length));
          if (n < 0) {
            return;
          }
          out.write(buffer, 0, n);
          length -= n;
        }
        out.flush();
      }
    } catch (IOException ignored) {
      // a closed connection: what any proxy sees
    } finally {
      open.remove(client);
      if (server != null) {
        open.remove(server);
        close(server);
      }
    }
  }

  /** A request's head, up to and with the blank line after its headers; null at the end of the stream. */
  private static byte[] readHead(InputStream in) throws IOException {
    java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toByteArray();
  }

  private static long contentLength(byte[] head) throws IOException {
    long length = 0;
    for (String line : new String(head, StandardCharsets.ISO_8859_1).split("\r\n")) {
      String lower = line.toLowerCase(java.util.Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
      } else if (lower.startsWith("transfer-encoding:")) {
        throw new IOException("FaultyS3 passes bodies with a Content-Length only: " + line);
      }
    }
    return length;
  }

  /**
   * Answers the error and closes: a body the client may still send is not read. It counts as sent before it is
   * written, as a client may close as soon as it has read the head (it does after a HEAD), and the write then fails.
   */
  private void answerError(Socket client, boolean head) throws IOException {
    byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + errorCode
        + "</Code><Message>injected by FaultyS3</Message><RequestId>faulty</RequestId></Error>")
        .getBytes(StandardCharsets.UTF_8);
    errorsSent.incrementAndGet();
    OutputStream out = client.getOutputStream();
    out.write(("HTTP/1.1 " + errorStatus + " Injected\r\nContent-Type: application/xml\r\nContent-Length: "
        + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    if (!head) {
      out.write(body);
    }
    out.flush();
    client.shutdownOutput();
  }

  private static void copy(Socket from, Socket to) {
    try {
      from.getInputStream().transferTo(to.getOutputStream());
      to.shutdownOutput();
    } catch (IOException e) {
      close(from);
      close(to);
    }
  }

  private static void drain(InputStream in) throws IOException {
    byte[] buffer = new byte[8192];
    while (in.read(buffer) >= 0) {
      // discard
    }
  }

  private void dropConnections() {
    open.forEach(FaultyS3::close);
  }

  private static void close(java.io.Closeable socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    closed = true;
    close(listener);
    dropConnections();
  }
}
