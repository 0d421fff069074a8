package io.berth.registry;

import io.berth.oci.Digest;
import io.berth.storage.StorageDriver;
import io.berth.storage.StoragePaths;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.util.Optional;

/** A blob a repository holds: its size, and how to read it. */
public record StoredBlob(Digest digest, long size, StorageDriver driver) {

  /** Opens the content positioned at {@code offset}. Blocking. */
  public SeekableByteChannel open(long offset) throws IOException {
    return driver.reader(StoragePaths.blobData(digest), offset);
  }

  /** Where the client may download the content directly, when the backend redirects downloads. */
  public Optional<java.net.URI> directUrl() {
    return driver.directUrl(StoragePaths.blobData(digest));
  }

  /** The local file holding the content, for zero-copy sends, when the backend keeps one. */
  public Optional<Path> localFile() {
    return driver.localFile(StoragePaths.blobData(digest));
  }
}
