package io.berth.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A raw HTTP/1.1 connection to 127.0.0.1, for tests that must control the bytes on the wire: what is sent is
 * exactly what the test writes, and responses are parsed by hand (status line, headers, a Content-Length body).
 */
final class RawHttp implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  RawHttp(int port) throws IOException {
    this(port, 30_000);
  }

  RawHttp(int port, int readTimeoutMillis) throws IOException {
    socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
    socket.setSoTimeout(readTimeoutMillis);
    socket.setTcpNoDelay(true);
    in = new BufferedInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  Socket socket() {
    return socket;
  }

  RawHttp send(String text) throws IOException {
    return send(text.getBytes(ISO_8859_1));
  }

  RawHttp send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  /** Sends a chunked-encoding frame holding {@code data}. */
  RawHttp sendChunk(byte[] data) throws IOException {
    send(Integer.toHexString(data.length) + "\r\n");
    send(data);
    return send("\r\n");
  }

  RawHttp sendLastChunk() throws IOException {
    return send("0\r\n\r\n");
  }

  /** Reads one response; fails if the connection ends first. */
  Response read() throws IOException {
    Response r = readOrEof();
    if (r == null) {
      throw new IOException("connection closed before a response");
    }
    return r;
  }

  /**
   * Reads one response, or returns null when the server ended the connection (EOF or reset) before sending a
   * status line.
   */
  Response readOrEof() throws IOException {
    return readOrEof(false);
  }

  /** Reads the response to a HEAD request: its Content-Length describes a body that is not sent. */
  Response readHeadResponse() throws IOException {
    Response r = readOrEof(true);
    if (r == null) {
      throw new IOException("connection closed before a response");
    }
    return r;
  }

  /** Reads one response, or null at EOF; {@code noBody} for the answer to a HEAD request. */
  Response readOrEof(boolean noBody) throws IOException {
    String statusLine;
    try {
      statusLine = readLine();
    } catch (SocketException reset) {
      return null;
    }
    if (statusLine == null) {
      return null;
    }
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not a status line: " + statusLine);
    }
    int status = Integer.parseInt(parts[1]);
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    String line;
    while ((line = readLine()) != null && !line.isEmpty()) {
      int colon = line.indexOf(':');
      headers.computeIfAbsent(line.substring(0, colon).trim(), k -> new ArrayList<>())
          .add(line.substring(colon + 1).trim());
    }
    if (line == null) {
      throw new IOException("connection closed inside the headers of " + statusLine);
    }
    byte[] body = new byte[0];
    if (!noBody && status >= 200 && status != 204 && status != 304) {
      List<String> cl = headers.get("Content-Length");
      if (cl == null) {
        throw new IOException("response without Content-Length: " + statusLine + " " + headers);
      }
      body = in.readNBytes(Integer.parseInt(cl.get(0)));
    }
    return new Response(status, headers, body);
  }

  /**
   * True when the server has closed the connection: the next read sees EOF or a reset (anything still sent is
   * read and dropped). False when the read timed out with the connection still open.
   */
  boolean closedByServer() throws IOException {
    try {
      byte[] buf = new byte[8192];
      while (true) {
        int n = in.read(buf);
        if (n < 0) {
          return true;
        }
      }
    } catch (SocketTimeoutException stillOpen) {
      return false;
    } catch (SocketException reset) {
      return true;
    }
  }

  /** Everything the server sends until it closes the connection (or the read timeout passes). */
  byte[] readToEnd() throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        all.write(buf, 0, n);
      }
    } catch (SocketException | SocketTimeoutException end) {
      // reset, or still open: what came is what we have
    }
    return all.toByteArray();
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0) {
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, ISO_8859_1);
      }
      line.write(b);
    }
    if (line.size() == 0) {
      return null;
    }
    throw new IOException("connection closed mid-line: " + line.toString(ISO_8859_1));
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  record Response(int status, Map<String, List<String>> headers, byte[] body) {
    String header(String name) {
      List<String> values = headers.get(name);
      return values == null ? null : values.get(0);
    }

    String bodyText() {
      return new String(body, java.nio.charset.StandardCharsets.UTF_8);
    }

    boolean closes() {
      String c = header("Connection");
      return c != null && c.toLowerCase(Locale.ROOT).contains("close");
    }

    @Override
    public String toString() {
      return status + " " + headers + " " + bodyText();
    }
  }
}
