package io.berth.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.berth.oci.Digest;
import io.berth.oci.DigestAlgorithm;
import io.berth.oci.RepositoryName;
import io.berth.storage.fs.FilesystemDriver;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogTest {
  @TempDir
  Path root;

  @Test
  void listsNestedRepositoriesSortedAndPaginates() throws IOException {
    Registry registry = new Registry(new FilesystemDriver(root));
    for (String name : List.of("team/app/api", "team", "alpha", "team/app")) {
      RepositoryName repo = RepositoryName.parse(name);
      String uuid = registry.uploads().start(repo, DigestAlgorithm.SHA256);
      registry.uploads().complete(repo, uuid, Digest.sha256(new byte[0]));
    }
    // an upload alone does not make a repository appear
    registry.uploads().start(RepositoryName.parse("only/uploading"), DigestAlgorithm.SHA256);
    assertEquals(List.of("alpha", "team", "team/app", "team/app/api"), registry.catalog().repositories());
    assertEquals(true, registry.repositoryExists(RepositoryName.parse("team/app")));
    assertEquals(false, registry.repositoryExists(RepositoryName.parse("only/uploading")));
    assertEquals(false, registry.repositoryExists(RepositoryName.parse("only")), "a parent is not a repository");
    Page first = Page.of(registry.catalog().repositories(), null, 2);
    assertEquals(List.of("alpha", "team"), first.items());
    assertEquals(true, first.hasMore());
    Page second = Page.of(registry.catalog().repositories(), "team", 2);
    assertEquals(List.of("team/app", "team/app/api"), second.items());
    assertEquals(false, second.hasMore());
    assertEquals(new Page(List.of(), false), Page.of(registry.catalog().repositories(), null, 0));
  }
}
