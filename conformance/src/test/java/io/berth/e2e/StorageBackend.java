package io.berth.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.storage.s3.S3ProxyServer;
import io.berth.storage.s3.SegmentGroups;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Where a Berth process under test keeps its data, and a look behind Berth's back at what it stored there: a
 * directory ({@link Kind#FILESYSTEM}), or a bucket of an {@link S3ProxyServer} this JVM runs, under a key prefix
 * ({@link Kind#S3}). The end-to-end tests that take a {@link Kind} run once on each, against the same clients.
 *
 * <p>Paths here are Berth's storage paths ({@code blobs/sha256/ab/<hex>/data},
 * {@code repositories/<name>/_manifests/tags/<tag>}...), the layout {@code StoragePaths} documents; both backends
 * keep that layout (S3 as keys under the prefix).
 */
abstract sealed class StorageBackend implements AutoCloseable {
  /** What an index may list as a manifest; anything else it lists is a blob (a buildkit cache index's layers). */
  private static final java.util.Set<String> MANIFEST_TYPES = java.util.Set.of(
      "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
      "application/vnd.docker.distribution.manifest.v2+json",
      "application/vnd.docker.distribution.manifest.list.v2+json");

  /** The backends the parameterized end-to-end tests run on. */
  enum Kind {
    FILESYSTEM, S3;

    @Override
    public String toString() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** A short directory name for the run (podman wants short paths): fs or s3. */
    String dirName() {
      return this == FILESYSTEM ? "fs" : "s3";
    }
  }

  /** Storage in {@code dir}: the directory itself, or a new S3Proxy (keeping its objects in a directory of its own). */
  static StorageBackend start(Kind kind, Path dir) throws Exception {
    return switch (kind) {
      case FILESYSTEM -> new Filesystem(dir.resolve("storage"));
      case S3 -> new S3(S3ProxyServer.start("berth-e2e"), "ci/registry");
    };
  }

  static StorageBackend filesystem(Path root) {
    return new Filesystem(root);
  }

  abstract Kind kind();

  /** Puts the {@code BERTH_STORAGE_*} variables that point Berth at this storage into its environment. */
  abstract void configure(Map<String, String> env) throws IOException;

  /** A file's bytes; empty when there is no file at {@code path}. */
  abstract Optional<byte[]> read(String path);

  /** Every file at or under {@code path} (a directory, as Berth lists it), as storage paths, sorted. */
  abstract List<String> files(String path);

  /** Whether anything is stored at {@code path}: a file, or a directory holding one. */
  boolean exists(String path) {
    return !files(path).isEmpty();
  }

  /**
   * Berth stored the image a client pushed as {@code repository:tag}: the tag names its digest, and the manifest
   * (an index's children too, recursively), every config and layer are stored once under their digests with their
   * sizes, and linked into the repository.
   */
  void assertImage(String repository, String tag, byte[] manifest) {
    String digest = Digests.sha256(manifest);
    String tagFile = "repositories/" + repository + "/_manifests/tags/" + tag;
    assertEquals(digest, read(tagFile).map(b -> new String(b, StandardCharsets.US_ASCII).trim())
        .orElseGet(() -> fail("no tag file " + tagFile + " in " + this)), tagFile);
    assertManifest(repository, digest, manifest.length);
  }

  private void assertManifest(String repository, String digest, long size) {
    byte[] stored = assertBlob(digest, size);
    assertLinked("repositories/" + repository + "/_manifests/revisions/" + digestPath(digest) + "/link", digest);
    JsonNode manifest = OciLayout.parse(stored);
    List<JsonNode> blobs = new ArrayList<>();
    for (JsonNode child : manifest.path("manifests")) {
      if (MANIFEST_TYPES.contains(child.path("mediaType").asText())) {
        assertManifest(repository, child.path("digest").asText(), child.path("size").asLong());
      } else {
        blobs.add(child); // an index of blobs, such as a buildkit cache
      }
    }
    if (!manifest.path("config").isMissingNode()) {
      blobs.add(manifest.path("config"));
    }
    manifest.path("layers").forEach(blobs::add);
    for (JsonNode blob : blobs) {
      String blobDigest = blob.path("digest").asText();
      assertBlob(blobDigest, blob.path("size").asLong());
      assertLinked("repositories/" + repository + "/_layers/" + digestPath(blobDigest) + "/link", blobDigest);
    }
  }

  /** The blob's data, checked against its digest and size. */
  private byte[] assertBlob(String digest, long size) {
    String path = "blobs/sha256/" + digest.substring("sha256:".length(), "sha256:".length() + 2) + "/"
        + digest.substring("sha256:".length()) + "/data";
    byte[] data = read(path).orElseGet(() -> fail("no blob " + path + " in " + this));
    assertEquals(size, data.length, path);
    assertEquals(digest, Digests.sha256(data), path);
    return data;
  }

  private void assertLinked(String link, String digest) {
    assertEquals(digest, read(link).map(b -> new String(b, StandardCharsets.US_ASCII).trim())
        .orElseGet(() -> fail("no link " + link + " in " + this)), link);
  }

  private static String digestPath(String digest) {
    return digest.replace(':', '/');
  }

  /**
   * What finished pushes leave behind: no upload session (every client finished or cancelled what it started), and
   * on S3 nothing outside the prefix, no multipart upload open, no segment of an appended file that no session
   * holds.
   */
  void assertNoLeftovers() {
    List<String> sessions = files("repositories").stream().filter(p -> p.contains("/_uploads/")).toList();
    assertEquals(List.of(), sessions, "upload sessions left in " + this);
  }

  @Override
  public abstract void close() throws Exception;

  /** Storage in a local directory, as {@code storage.filesystem.root}. */
  static final class Filesystem extends StorageBackend {
    private final Path root;

    Filesystem(Path root) {
      this.root = root;
    }

    Path root() {
      return root;
    }

    @Override
    Kind kind() {
      return Kind.FILESYSTEM;
    }

    @Override
    void configure(Map<String, String> env) throws IOException {
      env.put("BERTH_STORAGE_FILESYSTEM_ROOT", Files.createDirectories(root).toString());
    }

    @Override
    Optional<byte[]> read(String path) {
      try {
        return Optional.of(Files.readAllBytes(root.resolve(path)));
      } catch (NoSuchFileException e) {
        return Optional.empty();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    List<String> files(String path) {
      Path start = root.resolve(path);
      if (Files.notExists(start)) {
        return List.of();
      }
      try (Stream<Path> walk = Files.walk(start)) {
        return walk.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() {
      // the test's temporary directory goes with the test
    }

    @Override
    public String toString() {
      return "filesystem storage " + root;
    }
  }

  /** A bucket of an S3Proxy in this JVM, everything under a key prefix, as {@code storage.s3.*}. */
  static final class S3 extends StorageBackend {
    /** S3's smallest part: a layer of a few MiB already goes up as a multipart upload of several parts. */
    static final int PART_SIZE_MIB = 5;

    private final S3ProxyServer server;
    private final String prefix;
    private final S3Client s3;

    S3(S3ProxyServer server, String prefix) {
      this.server = server;
      this.prefix = prefix;
      this.s3 = server.client();
    }

    S3ProxyServer server() {
      return server;
    }

    @Override
    Kind kind() {
      return Kind.S3;
    }

    @Override
    void configure(Map<String, String> env) {
      env.put("BERTH_STORAGE_BACKEND", "s3");
      env.put("BERTH_STORAGE_S3_BUCKET", server.bucket());
      env.put("BERTH_STORAGE_S3_PREFIX", prefix);
      env.put("BERTH_STORAGE_S3_REGION", server.region());
      env.put("BERTH_STORAGE_S3_ENDPOINT", server.endpoint().toString());
      env.put("BERTH_STORAGE_S3_PATHSTYLE", "true");
      env.put("BERTH_STORAGE_S3_ACCESSKEY", server.accessKey());
      env.put("BERTH_STORAGE_S3_SECRETKEY", server.secretKey());
      env.put("BERTH_STORAGE_S3_PARTSIZE", String.valueOf(PART_SIZE_MIB));
    }

    @Override
    Optional<byte[]> read(String path) {
      return SegmentGroups.read(s3, server.bucket(), prefix, path);
    }

    @Override
    List<String> files(String path) {
      String key = prefix + "/" + path;
      List<String> found = new ArrayList<>();
      for (String k : keys(key)) {
        if (k.equals(key) || k.startsWith(key + "/")) {
          found.add(k.substring(prefix.length() + 1));
        }
      }
      return found;
    }

    /** Every key in the bucket that starts with {@code start}, sorted. */
    private List<String> keys(String start) {
      TreeSet<String> keys = new TreeSet<>();
      s3.listObjectsV2Paginator(r -> r.bucket(server.bucket()).prefix(start)).contents().stream()
          .map(S3Object::key).forEach(keys::add);
      return List.copyOf(keys);
    }

    @Override
    void assertNoLeftovers() {
      super.assertNoLeftovers();
      List<String> outside = keys("").stream().filter(k -> !k.startsWith(prefix + "/")).toList();
      assertEquals(List.of(), outside, "keys outside the prefix " + prefix + "/ in " + this);
      List<String> open = s3.listMultipartUploadsPaginator(r -> r.bucket(server.bucket())).uploads().stream()
          .map(u -> u.key() + " (" + u.uploadId() + ")").toList();
      assertEquals(List.of(), open, "multipart uploads left open in " + this);
      assertEquals(List.of(), SegmentGroups.unowned(s3, server.bucket(), prefix),
          "segments that no file owns left in " + this);
    }

    @Override
    public void close() throws Exception {
      try {
        s3.close();
      } finally {
        server.close();
      }
    }

    @Override
    public String toString() {
      return "S3 storage under " + prefix + "/ of " + server;
    }
  }
}
