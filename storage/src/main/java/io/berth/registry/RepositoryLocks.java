package io.berth.registry;

import io.berth.oci.RepositoryName;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Serialises the writes of one repository that read and then change its links (a tag moved while a manifest
 * is deleted, a link written while its directory is removed). Striped: a fixed set of locks, so memory stays
 * bounded however many repositories there are; two repositories may share a stripe, which only costs a wait.
 * {@link ReentrantLock} rather than {@code synchronized}, which would pin a virtual thread's carrier on JDK 21.
 * In-process only. Across instances over shared storage nothing is locked: a push relinks a manifest that a
 * delete removed meanwhile and a delete untags twice (see {@link ManifestStore}), so no tag is left naming a manifest
 * that is gone; what remains is that a delete resolving a tag just before another instance moves it deletes the
 * moved tag (closing that needs a conditional delete, or a lock in storage).
 */
final class RepositoryLocks {
  private static final int STRIPES = 256;

  private final ReentrantLock[] locks = new ReentrantLock[STRIPES];

  RepositoryLocks() {
    for (int i = 0; i < STRIPES; i++) {
      locks[i] = new ReentrantLock();
    }
  }

  /** Locks the repository; release with {@code close()}, in a try-with-resources. */
  Held lock(RepositoryName repository) {
    ReentrantLock lock = locks[Math.floorMod(repository.value().hashCode(), STRIPES)];
    lock.lock();
    return lock::unlock;
  }

  interface Held extends AutoCloseable {
    @Override
    void close();
  }
}
