package io.berth.storage.s3;

import io.berth.storage.StorageDriver;
import io.berth.storage.StorageDriverContract;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * The storage contract against S3: S3Proxy on loopback (one per class), each test under a fresh random prefix of
 * one bucket, with 5 MiB parts so the contract's 6 and 12 MiB chunks span several.
 */
class S3DriverTest extends StorageDriverContract {
  private static S3ProxyServer server;

  private final List<StorageDriver> opened = new ArrayList<>();
  private String prefix;

  @BeforeAll
  static void startServer() throws Exception {
    server = S3ProxyServer.start();
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected StorageDriver newDriver() throws Exception {
    prefix = "contract-" + UUID.randomUUID();
    return open();
  }

  @Override
  protected StorageDriver newDriverOverTheSameStorage() throws Exception {
    return open();
  }

  private StorageDriver open() throws Exception {
    StorageDriver d = S3Drivers.open(server, prefix);
    opened.add(d);
    return d;
  }

  @AfterEach
  void closeDrivers() throws Exception {
    for (StorageDriver d : opened) {
      S3Drivers.close(d);
    }
    opened.clear();
  }
}
