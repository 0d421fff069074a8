import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Uploads a file as a blob and prints the MiB/s, timed from the POST to the answer of the PUT that completes it:
 * monolithic (POST, then one PUT ?digest= with the whole body) or chunked (POST, PATCHes of CHUNK_MIB with
 * Content-Range, then PUT ?digest=). The body goes from the file to the socket with sendfile, so the client costs
 * next to nothing: curl -T tops out near 400 MB/s on a 2-core machine, below what the servers can take.
 * Run with the JDK's source launcher: java BlobUpload.java URL REPO FILE DIGEST mono|chunked [CHUNK_MIB]
 */
public class BlobUpload {
  public static void main(String[] args) throws Exception {
    URI base = URI.create(args[0]);
    String repo = args[1];
    Path file = Path.of(args[2]);
    String digest = args[3];
    boolean chunked = args[4].equals("chunked");
    long chunk = (args.length > 5 ? Long.parseLong(args[5]) : 16) << 20;
    try (FileChannel body = FileChannel.open(file);
        SocketChannel socket = SocketChannel.open(new InetSocketAddress(base.getHost(), base.getPort()))) {
      long size = body.size();
      long start = System.nanoTime();
      String location = send(socket, "POST", "/v2/" + repo + "/blobs/uploads/", body, 0, 0, null, 202);
      if (chunked) {
        for (long offset = 0; offset < size; offset += chunk) {
          long length = Math.min(chunk, size - offset);
          location = send(socket, "PATCH", location, body, offset, length,
              "Content-Range: " + offset + "-" + (offset + length - 1) + "\r\n", 202);
        }
        send(socket, "PUT", withDigest(location, digest), body, 0, 0, null, 201);
      } else {
        send(socket, "PUT", withDigest(location, digest), body, 0, size, null, 201);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(Locale.ROOT, "%.0f%n", size / 1048576.0 / seconds);
    }
  }

  private static String withDigest(String location, String digest) {
    return location + (location.contains("?") ? "&" : "?") + "digest=" + digest;
  }

  /** Sends a request whose body is a slice of the file; returns the path of its Location. */
  private static String send(SocketChannel socket, String method, String target, FileChannel body, long offset,
      long length, String extraHeaders, int expected) throws IOException {
    URI uri = URI.create(target);
    String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + length + "\r\n"
        + (length > 0 ? "Content-Type: application/octet-stream\r\n" : "") + (extraHeaders == null ? "" : extraHeaders)
        + "\r\n";
    ByteBuffer headBytes = ByteBuffer.wrap(head.getBytes(StandardCharsets.ISO_8859_1));
    while (headBytes.hasRemaining()) {
      socket.write(headBytes);
    }
    for (long sent = 0; sent < length; ) {
      sent += body.transferTo(offset + sent, length - sent, socket);
    }
    String response = readHead(socket);
    int status = Integer.parseInt(response.split(" ")[1]);
    if (status != expected) {
      throw new IOException(method + " answered " + status + ":\n" + response);
    }
    for (String line : response.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).equalsIgnoreCase("content-length")
          && Long.parseLong(line.substring(colon + 1).trim()) > 0) {
        throw new IOException(method + " answered with a body, which this client does not read");
      }
    }
    for (String line : response.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("location:")) {
        return line.substring(9).trim();
      }
    }
    return null;
  }

  private static String readHead(SocketChannel socket) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    ByteBuffer one = ByteBuffer.allocate(1);
    while (true) {
      one.clear();
      if (socket.read(one) < 0) {
        throw new IOException("connection closed");
      }
      head.write(one.get(0));
      String s = head.toString(StandardCharsets.ISO_8859_1);
      if (s.endsWith("\r\n\r\n")) {
        return s;
      }
    }
  }
}
