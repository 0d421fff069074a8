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
    assertEquals(new Page(List.of("team/app"), true), registry.catalog().page("team", 1));
  }

  @Test
  void seesItsOwnNewRepositoriesAtOnceAndOthersAfterTheRewalk() throws IOException {
    FilesystemDriver driver = new FilesystemDriver(root);
    MutableClock clock = new MutableClock();
    Registry registry = new Registry(driver, clock);
    push(registry, "first");
    assertEquals(List.of("first"), registry.catalog().repositories());
    push(registry, "second");
    assertEquals(List.of("first", "second"), registry.catalog().repositories(), "its own writes show at once");

    push(new Registry(driver), "from/elsewhere"); // another process over the same storage
    assertEquals(List.of("first", "second"), registry.catalog().repositories());
    clock.now = clock.now.plus(Catalog.REWALK_AFTER).plusSeconds(1);
    assertEquals(List.of("first", "from/elsewhere", "second"), registry.catalog().repositories());
  }

  private static void push(Registry registry, String name) throws IOException {
    RepositoryName repo = RepositoryName.parse(name);
    String uuid = registry.uploads().start(repo, DigestAlgorithm.SHA256);
    registry.uploads().complete(repo, uuid, Digest.sha256(new byte[0]));
  }

  private static final class MutableClock extends java.time.Clock {
    java.time.Instant now = java.time.Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public java.time.Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public java.time.Instant instant() {
      return now;
    }
  }
}
