package io.berth.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.DigestAlgorithm;
import io.berth.oci.ErrorCode;
import io.berth.oci.MediaTypes;
import io.berth.oci.RegistryException;
import io.berth.oci.RepositoryName;
import io.berth.oci.Tag;
import io.berth.storage.fs.FilesystemDriver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestStoreTest {
  static final RepositoryName APP = RepositoryName.parse("team/app");

  @TempDir
  Path root;
  Registry registry;
  Digest config;
  Digest layer;

  @BeforeEach
  void setUp() throws IOException {
    registry = new Registry(new FilesystemDriver(root));
    config = pushBlob("{}");
    layer = pushBlob("layer bytes");
  }

  Digest pushBlob(String content) throws IOException {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    String uuid = registry.uploads().start(APP, DigestAlgorithm.SHA256);
    try (UploadService.Appender a = registry.uploads().append(APP, uuid, null)) {
      a.write(ByteBuffer.wrap(bytes));
      a.commit();
    }
    return registry.uploads().complete(APP, uuid, Digest.sha256(bytes)).digest();
  }

  byte[] image(Digest layerDigest, long layerSize, String extra) {
    return """
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
         "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},
         "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]%s}
        """.formatted(config, layerDigest, layerSize, extra).getBytes(StandardCharsets.UTF_8);
  }

  byte[] index(Digest... children) {
    StringBuilder entries = new StringBuilder();
    for (Digest d : children) {
      if (!entries.isEmpty()) {
        entries.append(',');
      }
      entries.append("{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"")
          .append(d).append("\",\"size\":1}");
    }
    return ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
        + entries + "]}").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void servesTheExactBytesByTagAndByDigest() throws IOException {
    byte[] bytes = image(layer, 11, "");
    PushResult pushed = registry.manifests().put(APP, new Tag("1"), bytes, MediaTypes.OCI_MANIFEST, List.of());
    assertEquals(Digest.sha256(bytes), pushed.digest());
    StoredManifest byTag = registry.manifests().get(APP, new Tag("1"));
    assertArrayEquals(bytes, byTag.bytes());
    assertEquals(MediaTypes.OCI_MANIFEST, byTag.mediaType());
    assertArrayEquals(bytes, registry.manifests().get(APP, pushed.digest()).bytes());
  }

  @Test
  void refusesAManifestWhoseBlobsAreNotInTheRepository() throws IOException {
    Digest missing = Digest.sha256("never pushed".getBytes(StandardCharsets.UTF_8));
    RegistryException e = assertThrows(RegistryException.class,
        () -> registry.manifests().put(APP, new Tag("x"), image(missing, 12, ""), null, List.of()));
    assertEquals(ErrorCode.MANIFEST_BLOB_UNKNOWN, e.code());
    assertTrue(registry.tags().list(APP).isEmpty(), "nothing stored");
  }

  @Test
  void refusesADescriptorWithTheWrongSize() {
    RegistryException e = assertThrows(RegistryException.class,
        () -> registry.manifests().put(APP, new Tag("x"), image(layer, 999, ""), null, List.of()));
    assertEquals(ErrorCode.MANIFEST_INVALID, e.code());
  }

  @Test
  void refusesAPushByDigestWhoseBytesHaveAnotherDigest() {
    Digest other = Digest.sha256("x".getBytes(StandardCharsets.UTF_8));
    RegistryException e = assertThrows(RegistryException.class,
        () -> registry.manifests().put(APP, other, image(layer, 11, ""), null, List.of()));
    assertEquals(ErrorCode.DIGEST_INVALID, e.code());
  }

  @Test
  void aTagMovesBetweenAManifestAndAnIndex() throws IOException {
    Digest child = registry.manifests().put(APP, new Tag("latest"), image(layer, 11, ""), null, List.of()).digest();
    Digest idx = registry.manifests().put(APP, new Tag("latest"), index(child), null, List.of()).digest();
    assertEquals(MediaTypes.OCI_INDEX, registry.manifests().get(APP, new Tag("latest")).mediaType());
    assertEquals(idx, registry.tags().resolve(APP, new Tag("latest")).orElseThrow());
    registry.manifests().put(APP, new Tag("latest"), image(layer, 11, ""), null, List.of());
    assertEquals(child, registry.tags().resolve(APP, new Tag("latest")).orElseThrow());
  }

  @Test
  void anIndexNeedsItsChildrenButMayListPlainBlobs() throws IOException {
    Digest unknown = Digest.sha256("nope".getBytes(StandardCharsets.UTF_8));
    assertEquals(ErrorCode.MANIFEST_BLOB_UNKNOWN, assertThrows(RegistryException.class,
        () -> registry.manifests().put(APP, new Tag("i"), index(unknown), null, List.of())).code());
    // buildkit's cache export: an index of blobs, one listed twice.
    registry.manifests().put(APP, new Tag("cache"), index(layer, config, layer), null, List.of());
  }

  @Test
  void referrersAreListedAndFilteredEvenBeforeTheSubjectExists() throws IOException {
    Digest subject = Digest.sha256("not pushed yet".getBytes(StandardCharsets.UTF_8));
    String subjectField = ",\"artifactType\":\"application/vnd.example.sbom\",\"subject\":{\"mediaType\":\""
        + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + subject + "\",\"size\":10}";
    PushResult sbom = registry.manifests().put(APP, Digest.sha256(image(layer, 11, subjectField)),
        image(layer, 11, subjectField), null, List.of());
    assertEquals(subject, sbom.subject().orElseThrow());
    List<Descriptor> all = registry.manifests().referrers(APP, subject, null);
    assertEquals(1, all.size());
    assertEquals("application/vnd.example.sbom", all.get(0).artifactType());
    assertEquals(sbom.digest(), all.get(0).digest());
    assertTrue(registry.manifests().referrers(APP, subject, "application/other").isEmpty());
    registry.manifests().delete(APP, sbom.digest());
    assertTrue(registry.manifests().referrers(APP, subject, null).isEmpty());
  }

  @Test
  void aTagMovedWhileItsOldManifestIsDeletedIsNeverLost() throws Exception {
    byte[] a = image(layer, 11, ",\"annotations\":{\"v\":\"a\"}");
    byte[] b = image(layer, 11, ",\"annotations\":{\"v\":\"b\"}");
    Tag t = new Tag("t");
    for (int round = 0; round < 100; round++) {
      Digest digestA = registry.manifests().put(APP, t, a, null, List.of()).digest();
      var move = java.util.concurrent.CompletableFuture.runAsync(() -> {
        try {
          registry.manifests().put(APP, t, b, null, List.of());
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      registry.manifests().delete(APP, digestA);
      move.join();
      // Whichever ran first, the tag ends up on b: deleting a can't take the moved tag with it.
      assertEquals(Digest.sha256(b), registry.tags().resolve(APP, t).orElseThrow(), "round " + round);
    }
  }

  @Test
  void deletingARevisionDeletesItsTags() throws IOException {
    Digest d = registry.manifests().put(APP, new Tag("a"), image(layer, 11, ""), null, List.of(new Tag("b"))).digest();
    assertEquals(List.of("a", "b"), registry.tags().list(APP));
    registry.manifests().delete(APP, d);
    assertTrue(registry.tags().list(APP).isEmpty());
    assertEquals(ErrorCode.MANIFEST_UNKNOWN,
        assertThrows(RegistryException.class, () -> registry.manifests().get(APP, d)).code());
  }

  /**
   * Two instances over one storage (two registries, each with its own per-process locks): a manifest pushed with a tag
   * through one while the other deletes it. Whichever way the steps interleave, no tag is left naming a manifest
   * that is gone.
   */
  @Test
  void aTagPushedWhileAnotherInstanceDeletesItsManifestIsNeverLeftDangling() throws IOException {
    byte[] bytes = image(layer, 11, "");
    Digest digest = registry.manifests().put(APP, new Tag("old"), bytes, MediaTypes.OCI_MANIFEST, List.of()).digest();
    Registry[] other = new Registry[1];
    // The delete runs whole just before this instance writes the tag.
    Registry pushing = new Registry(new HookedDriver(new FilesystemDriver(root),
        path -> path.endsWith("/_manifests/tags/new"), () -> other[0].manifests().delete(APP, digest)));
    other[0] = new Registry(new FilesystemDriver(root));
    pushing.manifests().put(APP, new Tag("new"), bytes, MediaTypes.OCI_MANIFEST, List.of());
    assertNoDanglingTags(registry);
    assertEquals(digest, registry.manifests().get(APP, new Tag("new")).digest(), "linked again: the push came last");
  }

  @Test
  void aManifestDeletedWhileAnotherInstanceTagsItTakesTheNewTagToo() throws IOException {
    byte[] bytes = image(layer, 11, "");
    Digest digest = registry.manifests().put(APP, new Tag("old"), bytes, MediaTypes.OCI_MANIFEST, List.of()).digest();
    Registry other = new Registry(new FilesystemDriver(root));
    // The push runs whole just before this instance deletes the revision (after it untagged what it found).
    Registry deleting = new Registry(new HookedDriver(new FilesystemDriver(root),
        path -> path.contains("/_manifests/revisions/"),
        () -> other.manifests().put(APP, new Tag("new"), bytes, MediaTypes.OCI_MANIFEST, List.of())));
    deleting.manifests().delete(APP, digest);
    assertNoDanglingTags(registry);
    assertEquals(List.of(), registry.tags().list(APP), "the delete came last");
  }

  private static void assertNoDanglingTags(Registry registry) throws IOException {
    for (String name : registry.tags().list(APP)) {
      try {
        registry.manifests().get(APP, new Tag(name));
      } catch (RegistryException e) {
        throw new AssertionError("tag " + name + " names a manifest that is gone", e);
      }
    }
  }

  /** Runs {@code hook} once, just before the first write or delete of a path that {@code when} matches. */
  private static final class HookedDriver implements io.berth.storage.StorageDriver {
    private final io.berth.storage.StorageDriver delegate;
    private final java.util.function.Predicate<String> when;
    private final IoAction hook;
    private boolean ran;

    interface IoAction {
      void run() throws IOException;
    }

    HookedDriver(io.berth.storage.StorageDriver delegate, java.util.function.Predicate<String> when, IoAction hook) {
      this.delegate = delegate;
      this.when = when;
      this.hook = hook;
    }

    private void maybeHook(String path) throws IOException {
      if (!ran && when.test(path)) {
        ran = true;
        hook.run();
      }
    }

    @Override
    public java.util.Optional<Long> size(String path) throws IOException {
      return delegate.size(path);
    }

    @Override
    public byte[] getContent(String path) throws IOException {
      return delegate.getContent(path);
    }

    @Override
    public void putContent(String path, byte[] content) throws IOException {
      maybeHook(path);
      delegate.putContent(path, content);
    }

    @Override
    public java.nio.channels.SeekableByteChannel reader(String path, long offset) throws IOException {
      return delegate.reader(path, offset);
    }

    @Override
    public io.berth.storage.FileWriter appender(String path) throws IOException {
      return delegate.appender(path);
    }

    @Override
    public List<String> list(String directory) throws IOException {
      return delegate.list(directory);
    }

    @Override
    public void move(String source, String destination) throws IOException {
      delegate.move(source, destination);
    }

    @Override
    public void delete(String path) throws IOException {
      maybeHook(path);
      delegate.delete(path);
    }
  }
}
