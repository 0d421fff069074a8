package io.berth.conformance;

import java.nio.file.Path;
import java.util.Set;

/** The reference registry with {@code storage.delete.enabled: false}, to show what refusing a delete looks like. */
class DistributionDeletesDisabledTest extends DeletesDisabledWorkflow {

  @Override
  RegistryTarget startWithDeletesDisabled(Path workDir) throws Exception {
    DistributionRegistry registry = DistributionRegistry.start(DistributionRegistry.binaryOrSkip(), workDir, false);
    return new RegistryTarget("distribution 2.8.2 (deletes off)", registry.baseUrl(), false, Set.of(), registry);
  }
}
