package io.berth.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.berth.oci.Digest;
import io.berth.oci.DigestAlgorithm;
import io.berth.oci.RepositoryName;
import io.berth.storage.FileWriter;
import io.berth.storage.StorageDriver;
import io.berth.storage.StoragePaths;
import io.berth.storage.fs.FilesystemDriver;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
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
  void seesItsOwnNewRepositoriesAndThoseOfAnotherProcessAtOnce() throws IOException {
    FilesystemDriver driver = new FilesystemDriver(root);
    MutableClock clock = new MutableClock();
    Registry registry = new Registry(driver, clock);
    push(registry, "first");
    assertEquals(List.of("first"), registry.catalog().repositories());
    push(registry, "second");
    assertEquals(List.of("first", "second"), registry.catalog().repositories(), "its own writes show at once");

    push(new Registry(driver), "from/elsewhere"); // another process over the same storage announces it
    assertEquals(List.of("first", "from/elsewhere", "second"), registry.catalog().repositories(), "with no wait");
  }

  @Test
  void findsUnannouncedRepositoriesByTheRewalkAfterAMinute() throws IOException {
    FilesystemDriver driver = new FilesystemDriver(root);
    MutableClock clock = new MutableClock();
    Registry registry = new Registry(driver, clock);
    push(registry, "first");
    assertEquals(List.of("first"), registry.catalog().repositories());
    // written by something that does not announce (an older version, a copy into storage)
    Digest digest = Digest.sha256(new byte[0]);
    driver.putContent(StoragePaths.layerLink(RepositoryName.parse("copied/in"), digest),
        digest.toString().getBytes(StandardCharsets.US_ASCII));
    assertEquals(List.of("first"), registry.catalog().repositories());
    clock.now = clock.now.plus(Catalog.REWALK_AFTER).plusSeconds(1);
    assertEquals(List.of("copied/in", "first"), registry.catalog().repositories());
  }

  @Test
  void walksOnlyWhenARepositoryWasAddedAndAnnouncesEachOnce() throws IOException {
    CountingDriver driver = new CountingDriver(new FilesystemDriver(root));
    Registry registry = new Registry(driver, new MutableClock());
    Registry other = new Registry(driver, new MutableClock());
    push(registry, "first");
    assertEquals(1, driver.stampWrites, "a new repository is announced");
    push(registry, "first");
    push(registry, "first");
    assertEquals(1, driver.stampWrites, "once");
    registry.catalog().repositories();
    int lists = driver.lists;
    for (int i = 0; i < 5; i++) {
      assertEquals(List.of("first"), registry.catalog().repositories());
    }
    assertEquals(lists, driver.lists, "no walk while no repository was added");

    push(other, "first"); // new to that process, so announced once, and walked once by this one
    assertEquals(2, driver.stampWrites);
    registry.catalog().repositories();
    assertEquals(true, driver.lists > lists);
    lists = driver.lists;
    registry.catalog().repositories();
    assertEquals(lists, driver.lists);
    other.catalog().repositories();
    push(other, "second");
    push(other, "first");
    assertEquals(3, driver.stampWrites, "a repository already walked is not announced again");
  }

  /** Counts the stamp writes and the listings (a walk is a run of them). */
  private static final class CountingDriver implements StorageDriver {
    private final StorageDriver delegate;
    int stampWrites;
    int lists;

    CountingDriver(StorageDriver delegate) {
      this.delegate = delegate;
    }

    @Override
    public Optional<Long> size(String path) throws IOException {
      return delegate.size(path);
    }

    @Override
    public byte[] getContent(String path) throws IOException {
      return delegate.getContent(path);
    }

    @Override
    public void putContent(String path, byte[] content) throws IOException {
      if (path.equals(StoragePaths.catalogStamp())) {
        stampWrites++;
      }
      delegate.putContent(path, content);
    }

    @Override
    public SeekableByteChannel reader(String path, long offset) throws IOException {
      return delegate.reader(path, offset);
    }

    @Override
    public FileWriter appender(String path) throws IOException {
      return delegate.appender(path);
    }

    @Override
    public List<String> list(String directory) throws IOException {
      lists++;
      return delegate.list(directory);
    }

    @Override
    public void move(String source, String destination) throws IOException {
      delegate.move(source, destination);
    }

    @Override
    public void delete(String path) throws IOException {
      delegate.delete(path);
    }
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
