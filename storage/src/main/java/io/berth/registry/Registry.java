package io.berth.registry;

import io.berth.oci.RepositoryName;
import io.berth.storage.StorageDriver;
import io.berth.storage.StoragePaths;
import java.io.IOException;
import java.time.Clock;

/** The registry's services over one storage backend. */
public final class Registry {
  private final StorageDriver driver;
  private final BlobStore blobs;
  private final UploadService uploads;
  private final TagStore tags;
  private final ManifestStore manifests;
  private final Catalog catalog;

  public Registry(StorageDriver driver) {
    this(driver, Clock.systemUTC());
  }

  Registry(StorageDriver driver, Clock clock) {
    this.driver = driver;
    RepositoryLocks locks = new RepositoryLocks();
    this.catalog = new Catalog(driver, clock);
    this.blobs = new BlobStore(driver, locks, catalog);
    this.uploads = new UploadService(driver, blobs);
    this.tags = new TagStore(driver);
    this.manifests = new ManifestStore(driver, blobs, tags, locks, catalog);
  }

  public BlobStore blobs() {
    return blobs;
  }

  public UploadService uploads() {
    return uploads;
  }

  public TagStore tags() {
    return tags;
  }

  public ManifestStore manifests() {
    return manifests;
  }

  public Catalog catalog() {
    return catalog;
  }

  /**
   * True when the repository holds a blob or a manifest. A name that is only the parent of other repositories
   * ({@code team} of {@code team/app}) or has only uploads in progress is not a repository.
   */
  public boolean repositoryExists(RepositoryName name) throws IOException {
    return Catalog.isRepository(driver.list(StoragePaths.repository(name)));
  }
}
