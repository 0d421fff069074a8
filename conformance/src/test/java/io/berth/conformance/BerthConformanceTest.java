package io.berth.conformance;

import io.berth.server.RegistryServer;
import io.berth.server.config.ServerConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

/**
 * The suite against Berth, started in this JVM on a free loopback port with filesystem storage and deletes on.
 * With {@code -Dberth.conformance.url} set, {@link ExternalConformanceTest} runs instead.
 */
@DisabledIfSystemProperty(named = "berth.conformance.url", matches = ".+")
class BerthConformanceTest extends ConformanceSuite {

  @Override
  RegistryTarget startTarget(Path workDir) throws Exception {
    RegistryServer server = RegistryServer.start(ServerConfig.DEFAULTS
        .withAddr("127.0.0.1:0")
        .withFilesystemRoot(workDir.resolve("data"))
        .withDeleteEnabled(true));
    // Berth is held to the whole spec: no deviations.
    return new RegistryTarget("berth", URI.create(server.baseUrl()), true, Set.of(), server::close);
  }
}
