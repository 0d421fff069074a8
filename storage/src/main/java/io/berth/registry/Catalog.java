package io.berth.registry;

import io.berth.oci.RepositoryName;
import io.berth.storage.PathNotFoundException;
import io.berth.storage.StorageDriver;
import io.berth.storage.StoragePaths;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NavigableSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The names of all repositories. Walking storage on every {@code /v2/_catalog} is what makes distribution's
 * catalog slow (its issues #947, #3678), so the names are kept in memory: found by one walk, added to as this
 * process writes new repositories, and walked again when another process over the same storage may have added one.
 *
 * <p>Each process announces a repository it did not know yet by writing a fresh random stamp to
 * {@link StoragePaths#catalogStamp()}, after the repository's first link is stored. A catalog request reads the
 * stamp (one small read) and walks again when it differs from the one read before the last walk, so a repository
 * pushed through one instance is in every instance's catalog on their next request. A stamp is written once per
 * repository and process (after a restart, a process announces again the repositories it writes to until it has
 * walked once), and a walk follows only a changed stamp: storage cost stays bounded by how often repositories are
 * created, not by how often the catalog is asked. Repositories that appear in storage without an announcement (from
 * an older version, or copied in by hand) are found by the walk that also runs at most every {@link #REWALK_AFTER}.
 */
public final class Catalog {
  static final Duration REWALK_AFTER = Duration.ofMinutes(1);

  private final StorageDriver driver;
  private final Clock clock;
  private volatile NavigableSet<String> names;
  private volatile Instant walkedAt = Instant.MIN;
  /** The stamp as read just before the last walk; null when there was none. */
  private volatile byte[] stampAtWalk;
  /** Repositories this process has announced since it started (bounded by the number of repositories). */
  private final Set<String> announced = ConcurrentHashMap.newKeySet();

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

  /**
   * Records a repository this process just wrote a link to: added to the names at once, and announced to the other
   * processes over the same storage when it is new to this one.
   */
  void added(RepositoryName name) throws IOException {
    String value = name.value();
    NavigableSet<String> known = names;
    if (known != null && known.contains(value)) {
      return;
    }
    if (!announced.contains(value)) {
      // Announced before it counts as known, so a failed write is tried again by the next push.
      driver.putContent(StoragePaths.catalogStamp(),
          UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII));
      announced.add(value);
    }
    if (known != null) {
      known.add(value);
    }
  }

  private NavigableSet<String> current() throws IOException {
    byte[] stamp = readStamp(); // before the walk: a repository announced after it is walked for next time
    NavigableSet<String> known = names;
    if (known == null || stale(stamp)) {
      synchronized (this) {
        if (names == null || stale(stamp)) {
          NavigableSet<String> walked = new ConcurrentSkipListSet<>();
          walk("", walked);
          names = walked;
          walkedAt = clock.instant();
          stampAtWalk = stamp;
        }
        known = names;
      }
    }
    return known;
  }

  private boolean stale(byte[] stamp) {
    return !Arrays.equals(stamp, stampAtWalk) || clock.instant().isAfter(walkedAt.plus(REWALK_AFTER));
  }

  private byte[] readStamp() throws IOException {
    try {
      return driver.getContent(StoragePaths.catalogStamp());
    } catch (PathNotFoundException e) {
      return null;
    }
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
