package io.berth.registry;

import io.berth.oci.Digest;
import io.berth.oci.ErrorCode;
import io.berth.oci.RegistryException;
import io.berth.oci.RepositoryName;
import io.berth.oci.Tag;
import io.berth.storage.PathNotFoundException;
import io.berth.storage.StorageDriver;
import io.berth.storage.StoragePaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Tags: names that point at a manifest digest in one repository. */
public final class TagStore {
  private final StorageDriver driver;

  public TagStore(StorageDriver driver) {
    this.driver = driver;
  }

  public Optional<Digest> resolve(RepositoryName repository, Tag tag) throws IOException {
    try {
      byte[] link = driver.getContent(StoragePaths.tagLink(repository, tag));
      return Optional.of(Digest.parse(new String(link, StandardCharsets.US_ASCII).trim()));
    } catch (PathNotFoundException e) {
      return Optional.empty();
    }
  }

  /** Points the tag at {@code digest}, atomically replacing where it pointed before. */
  public void put(RepositoryName repository, Tag tag, Digest digest) throws IOException {
    driver.putContent(StoragePaths.tagLink(repository, tag), digest.toString().getBytes(StandardCharsets.US_ASCII));
  }

  public void delete(RepositoryName repository, Tag tag) throws IOException {
    if (resolve(repository, tag).isEmpty()) {
      throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "tag unknown: " + tag);
    }
    driver.delete(StoragePaths.tagLink(repository, tag));
  }

  /** All tags, sorted. */
  public List<String> list(RepositoryName repository) throws IOException {
    List<String> tags = new ArrayList<>();
    for (String name : driver.list(StoragePaths.tags(repository))) {
      if (Tag.isValid(name)) {
        tags.add(name);
      }
    }
    return tags;
  }

  /** Tags pointing at {@code digest}. */
  public List<Tag> tagsOf(RepositoryName repository, Digest digest) throws IOException {
    List<Tag> out = new ArrayList<>();
    for (String name : list(repository)) {
      Tag tag = new Tag(name);
      if (resolve(repository, tag).filter(digest::equals).isPresent()) {
        out.add(tag);
      }
    }
    return out;
  }
}
