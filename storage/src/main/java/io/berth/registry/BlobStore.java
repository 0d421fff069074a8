package io.berth.registry;

import io.berth.oci.Digest;
import io.berth.oci.ErrorCode;
import io.berth.oci.RegistryException;
import io.berth.oci.RepositoryName;
import io.berth.storage.StorageDriver;
import io.berth.storage.StoragePaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Content-addressed blobs, stored once for all repositories, and the links that say which repository
 * holds which. A repository can only read a blob it links to.
 */
public final class BlobStore {
  private final StorageDriver driver;
  private final RepositoryLocks locks;
  private final Catalog catalog;

  BlobStore(StorageDriver driver, RepositoryLocks locks, Catalog catalog) {
    this.driver = driver;
    this.locks = locks;
    this.catalog = catalog;
  }

  /** The blob, if {@code repository} holds it. */
  public Optional<StoredBlob> stat(RepositoryName repository, Digest digest) throws IOException {
    if (driver.size(StoragePaths.layerLink(repository, digest)).isEmpty()) {
      return Optional.empty();
    }
    return driver.size(StoragePaths.blobData(digest)).map(size -> new StoredBlob(digest, size, driver));
  }

  /** Like {@link #stat} but throws BLOB_UNKNOWN when the repository does not hold the blob. */
  public StoredBlob get(RepositoryName repository, Digest digest) throws IOException {
    return stat(repository, digest)
        .orElseThrow(() -> new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob unknown: " + digest));
  }

  /** True when the content exists in storage, in any repository. */
  boolean contentExists(Digest digest) throws IOException {
    return driver.size(StoragePaths.blobData(digest)).isPresent();
  }

  /** Records that {@code repository} holds the (already stored) blob. */
  void link(RepositoryName repository, Digest digest) throws IOException {
    try (var held = locks.lock(repository)) {
      driver.putContent(StoragePaths.layerLink(repository, digest), digest.toString().getBytes(StandardCharsets.US_ASCII));
    }
    catalog.added(repository);
  }

  /**
   * Cross-repository mount: links a blob {@code from} holds into {@code repository}.
   *
   * @return the blob, or empty when {@code from} does not hold it (the client then uploads it)
   */
  public Optional<StoredBlob> mount(RepositoryName repository, RepositoryName from, Digest digest) throws IOException {
    Optional<StoredBlob> source = stat(from, digest);
    if (source.isPresent()) {
      link(repository, digest);
    }
    return source;
  }

  /** Removes the blob from a repository. The content stays for other repositories (garbage collection frees it). */
  public void delete(RepositoryName repository, Digest digest) throws IOException {
    try (var held = locks.lock(repository)) {
      get(repository, digest);
      driver.delete(StoragePaths.layerDirectory(repository, digest));
    }
  }
}
