package io.berth.conformance;

import io.berth.server.RegistryServer;
import io.berth.server.config.ServerConfig;
import io.berth.storage.s3.S3ProxyServer;
import java.net.URI;
import java.nio.file.Path;
import java.util.Set;
import java.util.UUID;

/** Berth on the S3 backend (over S3Proxy) with its default {@code storage.delete.enabled: false}. */
class BerthS3DeletesDisabledTest extends DeletesDisabledWorkflow {

  @Override
  RegistryTarget startWithDeletesDisabled(Path workDir) throws Exception {
    S3ProxyServer s3 = S3ProxyServer.start();
    try {
      RegistryServer server = RegistryServer.start(ServerConfig.DEFAULTS
          .withAddr("127.0.0.1:0")
          .withS3(BerthS3ConformanceTest.s3Settings(s3, "deletes-off-" + UUID.randomUUID()))
          .withDeleteEnabled(false));
      return new RegistryTarget("berth (s3, deletes off)", URI.create(server.baseUrl()), false, Set.of(), () -> {
        try {
          server.close();
        } finally {
          s3.close();
        }
      });
    } catch (Exception | Error e) {
      s3.close();
      throw e;
    }
  }
}
