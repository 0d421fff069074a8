package io.berth.storage.s3;

/**
 * Runs an {@link S3ProxyServer} on its own, for benchmarks: prints {@code endpoint bucket accessKey secretKey} on
 * one line once it listens, and stops when its standard input closes (or it is killed).
 *
 * <pre>java -cp STORAGE_TEST_CLASSPATH io.berth.storage.s3.S3ProxyMain [bucket]</pre>
 */
public final class S3ProxyMain {
  private S3ProxyMain() {}

  public static void main(String[] args) throws Exception {
    try (S3ProxyServer server = S3ProxyServer.start(args.length > 0 ? args[0] : S3ProxyServer.DEFAULT_BUCKET)) {
      System.out.println(server.endpoint() + " " + server.bucket() + " " + server.accessKey() + " "
          + server.secretKey());
      System.out.flush();
      while (System.in.read() >= 0) {
        // until stdin closes
      }
    }
  }
}
