package io.berth.storage.s3;

/**
 * Runs an {@link S3ProxyServer} on its own, for benchmarks: prints {@code endpoint bucket accessKey secretKey} on
 * one line once it listens, and stops when its standard input closes (or it is killed), deleting its objects.
 *
 * <pre>java -cp STORAGE_TEST_CLASSPATH io.berth.storage.s3.S3ProxyMain [bucket]</pre>
 */
public final class S3ProxyMain {
  private S3ProxyMain() {}

  public static void main(String[] args) throws Exception {
    S3ProxyServer server = S3ProxyServer.start(args.length > 0 ? args[0] : S3ProxyServer.DEFAULT_BUCKET);
    // Killed (a benchmark script ending) or not, its objects go: gigabytes of them, in the temp directory.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (Exception e) {
        System.err.println("could not delete " + server + ": " + e);
      }
    }));
    System.out.println(server.endpoint() + " " + server.bucket() + " " + server.accessKey() + " "
        + server.secretKey());
    System.out.flush();
    while (System.in.read() >= 0) {
      // until stdin closes
    }
    System.exit(0);
  }
}
