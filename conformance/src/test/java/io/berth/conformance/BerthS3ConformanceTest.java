package io.berth.conformance;

import io.berth.server.RegistryServer;
import io.berth.server.config.ServerConfig;
import io.berth.storage.s3.S3ProxyServer;
import java.net.URI;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

/**
 * The suite against Berth over its S3 backend: a bucket of an S3Proxy in this JVM, under a key prefix, with 5 MiB
 * parts (S3's smallest), so the suite's chunked and monolithic uploads go through segments, multipart uploads and
 * server-side copies. Held to the whole spec, as on the filesystem.
 */
@DisabledIfSystemProperty(named = "berth.conformance.url", matches = ".+")
class BerthS3ConformanceTest extends ConformanceSuite {

  @Override
  RegistryTarget startTarget(Path workDir) throws Exception {
    S3ProxyServer s3 = S3ProxyServer.start("conformance");
    try {
      RegistryServer server = RegistryServer.start(ServerConfig.DEFAULTS
          .withAddr("127.0.0.1:0")
          .withS3(new ServerConfig.S3(s3.bucket(), "berth/conformance", s3.region(), s3.endpoint().toString(), true,
              s3.accessKey(), s3.secretKey(), 5, 4))
          .withDeleteEnabled(true));
      return new RegistryTarget("berth on s3", URI.create(server.baseUrl()), true, Set.of(), () -> {
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
