package io.berth.conformance;

import java.net.URI;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The suite against a registry that is already running, named by {@code -Dberth.conformance.url=http://127.0.0.1:5000}.
 * Content management runs only with {@code -Dberth.conformance.deletes=true}, since deletes are off by default on
 * most registries. Nothing is started or stopped.
 */
@EnabledIfSystemProperty(named = "berth.conformance.url", matches = ".+")
class ExternalConformanceTest extends ConformanceSuite {

  @Override
  RegistryTarget startTarget(Path workDir) {
    String url = System.getProperty("berth.conformance.url").replaceAll("/+$", "");
    boolean deletes = Boolean.getBoolean("berth.conformance.deletes");
    return new RegistryTarget("external", URI.create(url), deletes, Set.of(), () -> {});
  }
}
