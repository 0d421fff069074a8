package io.berth.conformance;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole distribution-spec walk, once per registry. A subclass says how to start (or reach) its registry; the
 * workflows below run against it. One instance per class, so the registry is started once for all of them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ConformanceSuite {
  private RegistryTarget target;

  /** Starts the registry (or points at a running one); {@code workDir} is a fresh directory for its files. */
  abstract RegistryTarget startTarget(Path workDir) throws Exception;

  @BeforeAll
  void start(@TempDir Path workDir) throws Exception {
    target = startTarget(workDir);
  }

  @AfterAll
  void stop() throws Exception {
    if (target != null) {
      target.close();
    }
  }

  @Nested
  class Pull extends PullWorkflow {
    @Override
    RegistryTarget target() {
      return target;
    }
  }

  @Nested
  class PushBlobs extends BlobUploadWorkflow {
    @Override
    RegistryTarget target() {
      return target;
    }
  }

  @Nested
  class PushManifests extends ManifestPushWorkflow {
    @Override
    RegistryTarget target() {
      return target;
    }
  }

  @Nested
  class DiscoverTags extends TagListWorkflow {
    @Override
    RegistryTarget target() {
      return target;
    }
  }

  @Nested
  class DiscoverCatalog extends CatalogWorkflow {
    @Override
    RegistryTarget target() {
      return target;
    }
  }

  @Nested
  class DiscoverReferrers extends ReferrersWorkflow {
    @Override
    RegistryTarget target() {
      return target;
    }
  }

  @Nested
  class ManageContent extends ContentManagementWorkflow {
    @Override
    RegistryTarget target() {
      return target;
    }
  }

  @Nested
  class RepositoryNames extends RepositoryNameWorkflow {
    @Override
    RegistryTarget target() {
      return target;
    }
  }
}
