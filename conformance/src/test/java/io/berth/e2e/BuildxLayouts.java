package io.berth.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Images laid out the way buildx and buildkit build them, as OCI layouts (and tars of them, for {@code ctr images
 * import}) under one directory: a two-platform index with provenance attestations, a single-platform manifest, a
 * registry build cache.
 */
final class BuildxLayouts {
  static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  private static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  private static final String GZIP_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
  private static final String IN_TOTO = "application/vnd.in-toto+json";
  private static final String CACHE_CONFIG = "application/vnd.buildkit.cacheconfig.v0";
  static final List<String> ARCHITECTURES = List.of("amd64", "arm64");

  /**
   * What the test wrote into a layout: the top-level manifest or index, the child manifests, the other blobs
   * (configs, layers, statements), and the layout as a tar for {@code ctr images import}.
   */
  record Built(String digest, byte[] bytes, String mediaType, Map<String, byte[]> manifests,
      Map<String, byte[]> blobs, Path tar) {
    /** Every piece of content by digest: the top level, the child manifests and the blobs. */
    Map<String, byte[]> everything() {
      Map<String, byte[]> all = new LinkedHashMap<>();
      all.put(digest, bytes);
      all.putAll(manifests);
      all.putAll(blobs);
      return all;
    }
  }

  private final Path root;

  /** Layouts go into directories under {@code root}, one per name. */
  BuildxLayouts(Path root) {
    this.root = root;
  }

  /**
   * A buildx multi-platform image: an index with linux/amd64 and linux/arm64 image manifests, then one
   * provenance attestation manifest per platform, as buildx writes them by default. {@code text} goes into
   * the layers, so images built with different texts share no blobs.
   */
  Built buildxImage(String name, String text) throws IOException {
    OciLayout layout = OciLayout.create(root.resolve(name));
    Map<String, byte[]> manifests = new LinkedHashMap<>();
    Map<String, byte[]> blobs = new LinkedHashMap<>();
    List<String> platformEntries = new ArrayList<>();
    List<String> attestationEntries = new ArrayList<>();
    for (String arch : ARCHITECTURES) {
      byte[] manifest = imageManifest(layout, blobs, arch, text + ", built for linux/" + arch + "\n");
      String digest = layout.writeBlob(manifest);
      manifests.put(digest, manifest);
      platformEntries.add("""
              {
                "mediaType": "%s",
                "digest": "%s",
                "size": %d,
                "platform": { "architecture": "%s", "os": "linux" }
              }""".formatted(OCI_MANIFEST, digest, manifest.length, arch));

      byte[] attestation = attestationManifest(layout, blobs, name, arch, digest);
      String attestationDigest = layout.writeBlob(attestation);
      manifests.put(attestationDigest, attestation);
      attestationEntries.add("""
              {
                "mediaType": "%s",
                "digest": "%s",
                "size": %d,
                "annotations": {
                  "vnd.docker.reference.digest": "%s",
                  "vnd.docker.reference.type": "attestation-manifest"
                },
                "platform": { "architecture": "unknown", "os": "unknown" }
              }""".formatted(OCI_MANIFEST, attestationDigest, attestation.length, digest));
    }
    List<String> entries = new ArrayList<>(platformEntries);
    entries.addAll(attestationEntries);
    // Hand-formatted: a registry that re-serialized the index instead of storing its bytes would change them.
    byte[] index = """
        {
          "schemaVersion": 2,
          "mediaType": "%s",
          "manifests": [
        %s
          ]
        }
        """.formatted(OCI_INDEX, String.join(",\n", entries)).getBytes(StandardCharsets.UTF_8);
    return finish(layout, "1", index, OCI_INDEX, manifests, blobs);
  }

  /** A single-platform image, pushed as a plain manifest (no index), with layer content of its own. */
  Built singleImage(String name) throws IOException {
    OciLayout layout = OciLayout.create(root.resolve(name));
    Map<String, byte[]> blobs = new LinkedHashMap<>();
    byte[] manifest = imageManifest(layout, blobs, "amd64", "a single-platform build of " + name + "\n");
    return finish(layout, "1", manifest, OCI_MANIFEST, Map.of(), blobs);
  }

  /**
   * A buildkit registry cache: the index lists the cache's layers and its cache config (buildkit's own media
   * type) as plain blobs. The first layer is listed twice, as buildkit does for a layer that several cache
   * records share.
   */
  Built cacheIndex(String name) throws IOException {
    OciLayout layout = OciLayout.create(root.resolve(name));
    Map<String, byte[]> blobs = new LinkedHashMap<>();
    byte[] first = Layers.gzip(Layers.tarWithOneFile("cached-1.txt", "first cached layer\n"));
    byte[] second = Layers.gzip(Layers.tarWithOneFile("cached-2.txt", "second cached layer\n"));
    String firstDigest = blob(layout, blobs, first);
    String secondDigest = blob(layout, blobs, second);
    byte[] cacheConfig = """
        {"layers":[{"blob":"%s","parent":-1},{"blob":"%s","parent":0}],\
        "records":[{"digest":"sha256:%s","layers":[{"layerIndex":0}]},\
        {"digest":"sha256:%s","layers":[{"layerIndex":1}]}]}"""
        .formatted(firstDigest, secondDigest, "1".repeat(64), "2".repeat(64)).getBytes(StandardCharsets.UTF_8);
    String configDigest = blob(layout, blobs, cacheConfig);
    byte[] index = """
        {
          "schemaVersion": 2,
          "mediaType": "%1$s",
          "manifests": [
            { "mediaType": "%2$s", "digest": "%3$s", "size": %4$d,
              "annotations": { "buildkit/createdat": "2024-05-01T12:00:00Z" } },
            { "mediaType": "%2$s", "digest": "%5$s", "size": %6$d,
              "annotations": { "buildkit/createdat": "2024-05-01T12:00:01Z" } },
            { "mediaType": "%2$s", "digest": "%3$s", "size": %4$d },
            { "mediaType": "%7$s", "digest": "%8$s", "size": %9$d }
          ]
        }
        """.formatted(OCI_INDEX, GZIP_LAYER, firstDigest, first.length, secondDigest, second.length,
            CACHE_CONFIG, configDigest, cacheConfig.length).getBytes(StandardCharsets.UTF_8);
    Built built = finish(layout, "buildcache", index, OCI_INDEX, Map.of(), blobs);
    JsonNode entries = OciLayout.parse(index).path("manifests");
    assertEquals(entries.get(0).path("digest"), entries.get(2).path("digest"), "the index must list a digest twice");
    return built;
  }

  /** One platform's image: a gzipped layer holding one file, a config naming the platform, the manifest. */
  private static byte[] imageManifest(OciLayout layout, Map<String, byte[]> blobs, String arch, String text)
      throws IOException {
    byte[] tar = Layers.tarWithOneFile("platform.txt", text);
    byte[] layer = Layers.gzip(tar);
    String layerDigest = blob(layout, blobs, layer);
    byte[] config = """
        {"architecture":"%s","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["%s"]}}"""
        .formatted(arch, Digests.sha256(tar)).getBytes(StandardCharsets.UTF_8);
    String configDigest = blob(layout, blobs, config);
    return """
        {
          "schemaVersion": 2,
          "mediaType": "%s",
          "config": { "mediaType": "%s", "digest": "%s", "size": %d },
          "layers": [
            { "mediaType": "%s", "digest": "%s", "size": %d }
          ]
        }
        """.formatted(OCI_MANIFEST, OCI_CONFIG, configDigest, config.length, GZIP_LAYER, layerDigest, layer.length)
        .getBytes(StandardCharsets.UTF_8);
  }

  /**
   * buildx's provenance attestation for one platform: an in-toto statement about the platform manifest as
   * the only layer, and an unknown/unknown config whose diff_ids list the statement.
   */
  private static byte[] attestationManifest(OciLayout layout, Map<String, byte[]> blobs, String name, String arch,
      String subjectDigest) throws IOException {
    byte[] statement = """
        {"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2",\
        "subject":[{"name":"pkg:docker/team/%s@1?platform=linux%%2F%s","digest":{"sha256":"%s"}}],\
        "predicate":{"builder":{"id":""},"buildType":"https://mobyproject.org/buildkit@v1",\
        "metadata":{"buildInvocationID":"berth-e2e-%s-%s"}}}"""
        .formatted(name, arch, Digests.hex(subjectDigest), name, arch).getBytes(StandardCharsets.UTF_8);
    String statementDigest = blob(layout, blobs, statement);
    byte[] config = """
        {"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":["%s"]}}"""
        .formatted(statementDigest).getBytes(StandardCharsets.UTF_8);
    String configDigest = blob(layout, blobs, config);
    return """
        {
          "schemaVersion": 2,
          "mediaType": "%s",
          "config": { "mediaType": "%s", "digest": "%s", "size": %d },
          "layers": [
            {
              "mediaType": "%s",
              "digest": "%s",
              "size": %d,
              "annotations": { "in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2" }
            }
          ]
        }
        """.formatted(OCI_MANIFEST, OCI_CONFIG, configDigest, config.length, IN_TOTO, statementDigest,
            statement.length).getBytes(StandardCharsets.UTF_8);
  }

  private static String blob(OciLayout layout, Map<String, byte[]> blobs, byte[] content) throws IOException {
    String digest = layout.writeBlob(content);
    blobs.put(digest, content);
    return digest;
  }

  /**
   * Writes the top level, points index.json at it under {@code refName} (ctr import names the image
   * {@code <base name>:<refName>}), and tars the layout next to its directory.
   */
  private static Built finish(OciLayout layout, String refName, byte[] top, String mediaType,
      Map<String, byte[]> manifests, Map<String, byte[]> blobs) throws IOException {
    String digest = layout.writeBlob(top);
    layout.writeIndexJson("""
        {"schemaVersion":2,"manifests":[{"mediaType":"%s","digest":"%s","size":%d,\
        "annotations":{"org.opencontainers.image.ref.name":"%s"}}]}"""
        .formatted(mediaType, digest, top.length, refName).getBytes(StandardCharsets.UTF_8));
    Path tar = layout.writeTar(layout.dir().resolveSibling(layout.dir().getFileName() + ".tar"));
    return new Built(digest, top, mediaType, manifests, blobs, tar);
  }
}
