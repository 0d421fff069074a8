package io.berth.storage.s3;

import io.berth.storage.StorageDriver;

/** Opens S3 drivers on an {@link S3ProxyServer} for the tests. */
final class S3Drivers {
  /** The smallest part S3 takes: the contract's 6 and 12 MiB chunks then make several parts. */
  static final int PART_SIZE_MIB = 5;
  static final int CONCURRENCY = 4;

  private S3Drivers() {}

  static StorageDriver open(S3ProxyServer server, String prefix) throws Exception {
    return open(server, server.bucket(), prefix, server.secretKey());
  }

  static StorageDriver open(S3ProxyServer server, String bucket, String prefix, String secretKey) throws Exception {
    return S3Driver.create(new S3Settings(bucket, prefix, server.region(), server.endpoint().toString(), true,
        server.accessKey(), secretKey, PART_SIZE_MIB, CONCURRENCY));
  }

  /** Closes a driver that holds resources (an SDK client and its connection pool). */
  static void close(StorageDriver driver) throws Exception {
    if (driver instanceof AutoCloseable closeable) {
      closeable.close();
    }
  }
}
