import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pushes COUNT distinct blobs of SIZE bytes to a registry from CONCURRENCY workers, each on its own keep-alive
 * connection, the way buildkit pushes a blob: POST to start an upload, then PUT ?digest= with the whole body.
 * Prints "blobs/s errors". HTTP/1.1 over plain sockets: a client this light leaves the machine to the server.
 * Run with the JDK's source launcher: java SmallPushes.java URL REPO COUNT CONCURRENCY SIZE
 */
public class SmallPushes {
  public static void main(String[] args) throws Exception {
    URI base = URI.create(args[0]);
    String repo = args[1];
    int count = Integer.parseInt(args[2]);
    int concurrency = Integer.parseInt(args[3]);
    int size = Integer.parseInt(args[4]);
    byte[][] blobs = new byte[count][];
    String[] digests = new String[count];
    Random random = new Random(System.nanoTime());
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    for (int i = 0; i < count; i++) {
      blobs[i] = new byte[size];
      random.nextBytes(blobs[i]);
      digests[i] = "sha256:" + HexFormat.of().formatHex(sha256.digest(blobs[i]));
    }
    AtomicInteger next = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    List<Thread> workers = new ArrayList<>();
    long start = System.nanoTime();
    for (int w = 0; w < concurrency; w++) {
      workers.add(Thread.ofPlatform().start(() -> {
        Connection c = null;
        for (int i; (i = next.getAndIncrement()) < count; ) {
          try {
            if (c == null) {
              c = new Connection(base);
            }
            Response started = c.send("POST", "/v2/" + repo + "/blobs/uploads/", null);
            String location = URI.create(started.header("location")).getRawPath();
            String query = URI.create(started.header("location")).getRawQuery();
            String target = location + "?" + (query == null ? "" : query + "&") + "digest=" + digests[i];
            Response put = c.send("PUT", target, blobs[i]);
            if (started.status != 202 || put.status != 201) {
              errors.incrementAndGet();
            }
          } catch (Exception e) {
            errors.incrementAndGet();
            c = null; // a fresh connection for the next one
          }
        }
      }));
    }
    for (Thread t : workers) {
      t.join();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(Locale.ROOT, "%.1f %d%n", count / seconds, errors.get());
  }

  record Response(int status, List<String> headers) {
    String header(String name) {
      for (String h : headers) {
        int colon = h.indexOf(':');
        if (h.substring(0, colon).trim().equalsIgnoreCase(name)) {
          return h.substring(colon + 1).trim();
        }
      }
      throw new IllegalStateException("no " + name + " header");
    }
  }

  static final class Connection {
    private final String host;
    private final InputStream in;
    private final OutputStream out;

    Connection(URI base) throws IOException {
      Socket socket = new Socket(base.getHost(), base.getPort());
      socket.setTcpNoDelay(true);
      this.host = base.getHost() + ":" + base.getPort();
      this.in = new BufferedInputStream(socket.getInputStream());
      this.out = new BufferedOutputStream(socket.getOutputStream());
    }

    Response send(String method, String target, byte[] body) throws IOException {
      StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: ")
          .append(host).append("\r\nContent-Length: ").append(body == null ? 0 : body.length).append("\r\n");
      if (body != null) {
        head.append("Content-Type: application/octet-stream\r\n");
      }
      out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
      if (body != null) {
        out.write(body);
      }
      out.flush();
      String status = line();
      List<String> headers = new ArrayList<>();
      long length = 0;
      boolean chunked = false;
      for (String h; !(h = line()).isEmpty(); ) {
        headers.add(h);
        String lower = h.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) {
          length = Long.parseLong(h.substring(15).trim());
        } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
          chunked = true;
        }
      }
      if (chunked) {
        for (long n; (n = Long.parseLong(line().split(";")[0].trim(), 16)) > 0; ) {
          skip(n);
          line();
        }
        line();
      } else {
        skip(length);
      }
      return new Response(Integer.parseInt(status.split(" ")[1]), headers);
    }

    private void skip(long n) throws IOException {
      while (n > 0) {
        long skipped = in.skip(n);
        if (skipped <= 0) {
          if (in.read() < 0) {
            throw new IOException("connection closed");
          }
          skipped = 1;
        }
        n -= skipped;
      }
    }

    private String line() throws IOException {
      StringBuilder s = new StringBuilder();
      for (int b; (b = in.read()) != '\n'; ) {
        if (b < 0) {
          throw new IOException("connection closed");
        }
        if (b != '\r') {
          s.append((char) b);
        }
      }
      return s.toString();
    }
  }
}
