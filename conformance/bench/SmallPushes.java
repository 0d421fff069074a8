import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * Pushes COUNT distinct blobs of SIZE bytes to a registry from CONCURRENCY workers, each on its own keep-alive
 * connection, the way buildkit pushes a blob: POST to start an upload, then PUT ?digest= with the whole body.
 * Prints "blobs/s errors". Run with the JDK's source launcher: java SmallPushes.java URL REPO COUNT CONCURRENCY SIZE
 */
public class SmallPushes {
  public static void main(String[] args) throws Exception {
    String base = args[0];
    String repo = args[1];
    int count = Integer.parseInt(args[2]);
    int concurrency = Integer.parseInt(args[3]);
    int size = Integer.parseInt(args[4]);
    byte[][] blobs = new byte[count][];
    String[] digests = new String[count];
    Random random = new Random(System.nanoTime());
    for (int i = 0; i < count; i++) {
      blobs[i] = new byte[size];
      random.nextBytes(blobs[i]);
      digests[i] = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blobs[i]));
    }
    AtomicInteger next = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    ExecutorService workers = Executors.newFixedThreadPool(concurrency);
    List<Future<?>> done = new ArrayList<>();
    long start = System.nanoTime();
    for (int w = 0; w < concurrency; w++) {
      done.add(workers.submit(() -> {
        // One client per worker: one connection each, as CONCURRENCY separate pushing clients would have.
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
          for (int i; (i = next.getAndIncrement()) < count; ) {
            try {
              HttpResponse<Void> started = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/" + repo
                  + "/blobs/uploads/")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                  HttpResponse.BodyHandlers.discarding());
              String location = started.headers().firstValue("Location").orElseThrow();
              URI upload = URI.create(base).resolve(location);
              String sep = upload.getQuery() == null ? "?" : "&";
              HttpResponse<Void> put = http.send(HttpRequest.newBuilder(URI.create(upload + sep + "digest="
                  + digests[i])).header("Content-Type", "application/octet-stream")
                  .PUT(HttpRequest.BodyPublishers.ofByteArray(blobs[i])).build(),
                  HttpResponse.BodyHandlers.discarding());
              if (started.statusCode() != 202 || put.statusCode() != 201) {
                errors.incrementAndGet();
              }
            } catch (Exception e) {
              errors.incrementAndGet();
            }
          }
        }
        return null;
      }));
    }
    for (Future<?> f : done) {
      f.get();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    workers.shutdown();
    System.out.printf("%.1f %d%n", count / seconds, errors.get());
  }
}
