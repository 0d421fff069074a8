package io.berth.conformance;

import io.berth.server.RegistryServer;
import io.berth.server.config.ServerConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.Set;

/** Berth with its default {@code storage.delete.enabled: false}. */
class BerthDeletesDisabledTest extends DeletesDisabledWorkflow {

  @Override
  RegistryTarget startWithDeletesDisabled(Path workDir) throws Exception {
    RegistryServer server = RegistryServer.start(ServerConfig.DEFAULTS
        .withAddr("127.0.0.1:0")
        .withFilesystemRoot(workDir.resolve("data"))
        .withDeleteEnabled(false));
    return new RegistryTarget("berth (deletes off)", URI.create(server.baseUrl()), false, Set.of(), server::close);
  }
}
