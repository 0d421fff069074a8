package io.berth.registry;

import io.berth.oci.RepositoryName;
import io.berth.storage.StorageDriver;
import io.berth.storage.StoragePaths;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The names of all repositories. Walking storage on every {@code /v2/_catalog} is what makes distribution's
 * catalog slow (its issues #947, #3678), so the names are kept in memory: found by one walk, added to as this
 * process writes new repositories, and walked again at most every {@link #REWALK_AFTER} to pick up what other
 * processes over the same storage wrote.
 */
public final class Catalog {
  static final Duration REWALK_AFTER = Duration.ofMinutes(1);

  private final StorageDriver driver;
  private final Clock clock;
  private volatile NavigableSet<String> names;
  private volatile Instant walkedAt = Instant.MIN;

  Catalog(StorageDriver driver, Clock clock) {
    this.driver = driver;
    this.clock = clock;
  }

  /** Every repository that holds a blob or a manifest, sorted. */
  public List<String> repositories() throws IOException {
    return List.copyOf(current());
  }

  /** Up to {@code limit} names after {@code last} (null: from the start; limit null: all). */
  public Page page(String last, Integer limit) throws IOException {
    NavigableSet<String> all = current();
    return Page.of(new ArrayList<>(last == null ? all : all.tailSet(last, false)), null, limit);
  }

  /** Records a repository this process just wrote its first link to. */
  void added(RepositoryName name) {
    NavigableSet<String> known = names;
    if (known != null) {
      known.add(name.value());
    }
  }

  private NavigableSet<String> current() throws IOException {
    NavigableSet<String> known = names;
    if (known == null || clock.instant().isAfter(walkedAt.plus(REWALK_AFTER))) {
      synchronized (this) {
        if (names == null || clock.instant().isAfter(walkedAt.plus(REWALK_AFTER))) {
          NavigableSet<String> walked = new ConcurrentSkipListSet<>();
          walk("", walked);
          names = walked;
          walkedAt = clock.instant();
        }
        known = names;
      }
    }
    return known;
  }

  /** Whether a directory with these children is a repository: it holds a blob or a manifest. */
  static boolean isRepository(List<String> children) {
    return children.contains(StoragePaths.MANIFESTS) || children.contains(StoragePaths.LAYERS);
  }

  private void walk(String prefix, NavigableSet<String> out) throws IOException {
    String dir = prefix.isEmpty() ? StoragePaths.REPOSITORIES : StoragePaths.REPOSITORIES + "/" + prefix;
    List<String> children = driver.list(dir);
    if (!prefix.isEmpty() && isRepository(children)) {
      out.add(prefix);
    }
    for (String child : children) {
      if (!child.startsWith("_")) {
        walk(prefix.isEmpty() ? child : prefix + "/" + child, out);
      }
    }
  }
}
