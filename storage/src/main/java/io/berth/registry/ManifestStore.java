package io.berth.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.DigestAlgorithm;
import io.berth.oci.ErrorCode;
import io.berth.oci.Manifest;
import io.berth.oci.MediaTypes;
import io.berth.oci.Reference;
import io.berth.oci.RegistryException;
import io.berth.oci.RepositoryName;
import io.berth.oci.Tag;
import io.berth.storage.PathNotFoundException;
import io.berth.storage.StorageDriver;
import io.berth.storage.StoragePaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Manifests, image indexes and their tags. Manifest bytes are kept in the shared blob store under their
 * digest, exactly as pushed; a repository links to the revisions it holds.
 */
public final class ManifestStore {
  /** Layers that live elsewhere and are never pushed (Windows base layers). */
  private static final Set<String> NON_DISTRIBUTABLE = Set.of(
      "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
      "application/vnd.oci.image.layer.nondistributable.v1.tar",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd");

  private final StorageDriver driver;
  private final BlobStore blobs;
  private final TagStore tags;
  private final ReferrerIndex referrers;
  private final RepositoryLocks locks;
  private final Catalog catalog;
  /** Manifests are immutable under their digest, so they cache well. */
  private final Cache<Digest, StoredManifest> cache = Caffeine.newBuilder()
      .maximumWeight(64L * 1024 * 1024)
      .weigher((Digest d, StoredManifest m) -> m.bytes().length + 200)
      .build();

  ManifestStore(StorageDriver driver, BlobStore blobs, TagStore tags, RepositoryLocks locks, Catalog catalog) {
    this.catalog = catalog;
    this.driver = driver;
    this.blobs = blobs;
    this.tags = tags;
    this.locks = locks;
    this.referrers = new ReferrerIndex(driver);
  }

  /**
   * Validates and stores a pushed manifest.
   *
   * @param reference the tag or digest it was pushed to
   * @param extraTags more tags from {@code ?tag=} on a push by digest
   */
  public PushResult put(RepositoryName repository, Reference reference, byte[] bytes, String contentType,
      List<Tag> extraTags) throws IOException {
    if (bytes.length > Manifest.MAX_SIZE) {
      throw new RegistryException(ErrorCode.SIZE_INVALID, 413,
          "manifest is " + bytes.length + " bytes; the limit is " + Manifest.MAX_SIZE);
    }
    DigestAlgorithm algorithm = reference instanceof Digest d ? d.algorithm() : DigestAlgorithm.SHA256;
    Manifest manifest = Manifest.parse(bytes, contentType, algorithm);
    if (reference instanceof Digest d && !d.equals(manifest.digest())) {
      throw new RegistryException(ErrorCode.DIGEST_INVALID,
          "manifest has digest " + manifest.digest() + ", not " + d);
    }
    Set<Tag> newTags = new LinkedHashSet<>();
    if (reference instanceof Tag t) {
      newTags.add(t);
    }
    newTags.addAll(extraTags);
    Digest digest = manifest.digest();
    try (var held = locks.lock(repository)) {
      checkReferences(repository, manifest);
      String data = StoragePaths.blobData(digest);
      if (driver.size(data).isEmpty()) {
        driver.putContent(data, bytes);
      }
      driver.putContent(StoragePaths.manifestRevisionLink(repository, digest),
          digest.toString().getBytes(StandardCharsets.US_ASCII));
      if (manifest.subject().isPresent()) {
        referrers.add(repository, manifest.subject().get().digest(), manifest.toDescriptor());
      }
      for (Tag t : newTags) {
        tags.put(repository, t, digest);
      }
      if (!hasRevision(repository, digest)) {
        // Another instance deleted this manifest since we linked it (the locks are per process): link it again,
        // as if the delete came first, rather than leave tags or a referrer entry naming a manifest that is gone.
        driver.putContent(StoragePaths.manifestRevisionLink(repository, digest),
            digest.toString().getBytes(StandardCharsets.US_ASCII));
      }
    }
    catalog.added(repository);
    cache.put(digest, new StoredManifest(digest, manifest.mediaType(), bytes));
    return new PushResult(digest, List.copyOf(newTags), manifest.subject().map(Descriptor::digest));
  }

  /** Every blob and child manifest must already be in the repository; a subject need not be. */
  private void checkReferences(RepositoryName repository, Manifest manifest) throws IOException {
    for (Descriptor d : manifest.blobReferences()) {
      if (NON_DISTRIBUTABLE.contains(d.mediaType())) {
        continue;
      }
      Optional<StoredBlob> blob = blobs.stat(repository, d.digest());
      if (blob.isEmpty()) {
        throw new RegistryException(ErrorCode.MANIFEST_BLOB_UNKNOWN, "blob unknown: " + d.digest());
      }
      if (blob.get().size() != d.size()) {
        throw new RegistryException(ErrorCode.MANIFEST_INVALID,
            "descriptor of " + d.digest() + " says " + d.size() + " bytes; the blob has " + blob.get().size());
      }
    }
    for (Descriptor child : manifest.manifests()) {
      // buildkit's cache export lists plain blobs in an index, not only manifests: accept either.
      if (!hasRevision(repository, child.digest()) && blobs.stat(repository, child.digest()).isEmpty()) {
        throw new RegistryException(ErrorCode.MANIFEST_BLOB_UNKNOWN, "manifest unknown: " + child.digest());
      }
    }
  }

  private boolean hasRevision(RepositoryName repository, Digest digest) throws IOException {
    return driver.size(StoragePaths.manifestRevisionLink(repository, digest)).isPresent();
  }

  /** The manifest a tag or digest names in the repository. */
  public StoredManifest get(RepositoryName repository, Reference reference) throws IOException {
    Digest digest = switch (reference) {
      case Tag t -> tags.resolve(repository, t)
          .orElseThrow(() -> new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest unknown: " + t));
      case Digest d -> d;
    };
    if (!hasRevision(repository, digest)) {
      throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest unknown: " + reference);
    }
    StoredManifest cached = cache.getIfPresent(digest);
    if (cached != null) {
      return cached;
    }
    byte[] bytes;
    try {
      bytes = driver.getContent(StoragePaths.blobData(digest));
    } catch (PathNotFoundException e) {
      throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest unknown: " + reference);
    }
    StoredManifest stored = new StoredManifest(digest, Manifest.storedMediaType(bytes), bytes);
    cache.put(digest, stored);
    return stored;
  }

  /**
   * Deletes a tag, or a manifest revision together with the tags that point at it (as distribution does).
   */
  public void delete(RepositoryName repository, Reference reference) throws IOException {
    try (var held = locks.lock(repository)) {
      switch (reference) {
        case Tag t -> tags.delete(repository, t);
        case Digest d -> {
          StoredManifest stored = get(repository, d);
          Optional<Descriptor> subject = subjectOf(stored);
          untag(repository, d, subject);
          driver.delete(StoragePaths.manifestRevision(repository, d));
          // Once more after the revision is gone: another instance may have pushed this manifest again meanwhile
          // and tagged it (the locks are per process). As if its push came first, its tags go too; a push that
          // tags after this saw the revision gone and links it again (see put).
          untag(repository, d, subject);
        }
      }
    }
  }

  /** Deletes the tags that point at {@code digest} and its entry in its subject's referrers. */
  private void untag(RepositoryName repository, Digest digest, Optional<Descriptor> subject) throws IOException {
    for (Tag t : tags.tagsOf(repository, digest)) {
      try {
        tags.delete(repository, t);
      } catch (RegistryException goneMeanwhile) {
        // deleted by another request since we listed it
      }
    }
    if (subject.isPresent()) {
      referrers.remove(repository, subject.get().digest(), digest);
    }
  }

  private static Optional<Descriptor> subjectOf(StoredManifest stored) {
    try {
      return Manifest.parse(stored.bytes(), stored.mediaType(), stored.digest().algorithm()).subject();
    } catch (RegistryException notParseableAnyMore) {
      return Optional.empty(); // it can't have been indexed as a referrer either
    }
  }

  /** Manifests whose subject is {@code subject}, optionally only those of one artifact type. */
  public List<Descriptor> referrers(RepositoryName repository, Digest subject, String artifactType) throws IOException {
    List<Descriptor> all = new ArrayList<>(referrers.list(repository, subject));
    addTagSchemaReferrers(repository, subject, all);
    if (artifactType == null) {
      return all;
    }
    return all.stream().filter(d -> artifactType.equals(d.artifactType())).toList();
  }

  /** Referrers pushed by clients that fell back to the tag schema ({@code sha256-<hex>} index) before. */
  private void addTagSchemaReferrers(RepositoryName repository, Digest subject, List<Descriptor> into) throws IOException {
    String tagName = subject.algorithm().id() + "-" + subject.hex();
    if (!Tag.isValid(tagName)) {
      return;
    }
    Optional<Digest> indexDigest = tags.resolve(repository, new Tag(tagName));
    if (indexDigest.isEmpty()) {
      return;
    }
    StoredManifest index;
    try {
      index = get(repository, indexDigest.get());
    } catch (RegistryException gone) {
      return;
    }
    if (!MediaTypes.OCI_INDEX.equals(index.mediaType())) {
      return;
    }
    Set<Digest> seen = new LinkedHashSet<>();
    into.forEach(d -> seen.add(d.digest()));
    for (Descriptor d : Manifest.parse(index.bytes(), index.mediaType(), indexDigest.get().algorithm()).manifests()) {
      if (seen.add(d.digest())) {
        into.add(d);
      }
    }
  }
}
