package io.berth.conformance;

import io.berth.server.RegistryServer;
import io.berth.server.config.ServerConfig;
import io.berth.storage.s3.S3ProxyServer;
import java.net.URI;
import java.nio.file.Path;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

/**
 * The whole suite against Berth on the S3 backend: in this JVM, over an S3Proxy on loopback started for this class,
 * under a fresh prefix, deletes on. Held to the same spec as on the filesystem: no deviations.
 */
@DisabledIfSystemProperty(named = "berth.conformance.url", matches = ".+")
class BerthS3ConformanceTest extends ConformanceSuite {

  @Override
  RegistryTarget startTarget(Path workDir) throws Exception {
    S3ProxyServer s3 = S3ProxyServer.start();
    try {
      RegistryServer server = RegistryServer.start(ServerConfig.DEFAULTS
          .withAddr("127.0.0.1:0")
          .withS3(s3Settings(s3, "conformance-" + UUID.randomUUID()))
          .withDeleteEnabled(true));
      return new RegistryTarget("berth (s3)", URI.create(server.baseUrl()), true, Set.of(), () -> {
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

  /** Berth's storage.s3 options for an S3Proxy: 5 MiB parts, so the suite's larger chunks span several. */
  static ServerConfig.S3 s3Settings(S3ProxyServer s3, String prefix) {
    return new ServerConfig.S3(s3.bucket(), prefix, s3.region(), s3.endpoint().toString(), true, s3.accessKey(),
        s3.secretKey(), 5, 4, 0);
  }
}
