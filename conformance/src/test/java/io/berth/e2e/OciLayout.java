package io.berth.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An OCI image layout directory (oci-layout, index.json, blobs/sha256/...), which skopeo and buildah
 * read and write with the {@code oci:} transport: a way to see exactly which bytes a client fetched.
 */
record OciLayout(Path dir) {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Creates an empty layout to fill with {@link #writeBlob} and {@link #writeIndexJson}. */
  static OciLayout create(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("blobs/sha256"));
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    return new OciLayout(dir);
  }

  /** Stores a blob under its digest and returns the digest. */
  String writeBlob(byte[] content) throws IOException {
    String digest = Digests.sha256(content);
    Files.write(dir.resolve("blobs/sha256").resolve(Digests.hex(digest)), content);
    return digest;
  }

  void writeIndexJson(byte[] content) throws IOException {
    Files.write(dir.resolve("index.json"), content);
  }

  /**
   * Stores one platform's image: a gzipped layer holding {@code platform.txt} with {@code text}, a config naming
   * the platform, and the OCI manifest over them. Returns the manifest's bytes (stored as a blob too).
   */
  byte[] writeImage(String arch, String text) throws IOException {
    byte[] tar = Layers.tarWithOneFile("platform.txt", text);
    byte[] layer = Layers.gzip(tar);
    String layerDigest = writeBlob(layer);
    byte[] config = """
        {"architecture":"%s","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["%s"]}}"""
        .formatted(arch, Digests.sha256(tar)).getBytes(StandardCharsets.UTF_8);
    String configDigest = writeBlob(config);
    byte[] manifest = """
        {
          "schemaVersion": 2,
          "mediaType": "application/vnd.oci.image.manifest.v1+json",
          "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": "%s", "size": %d },
          "layers": [
            { "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "%s", "size": %d }
          ]
        }
        """.formatted(configDigest, config.length, layerDigest, layer.length).getBytes(StandardCharsets.UTF_8);
    writeBlob(manifest);
    return manifest;
  }

  /** Names {@code top} (a stored manifest or index of {@code mediaType}) {@code ref} in index.json. */
  void writeIndexJson(String ref, byte[] top, String mediaType) throws IOException {
    writeIndexJson("""
        {"schemaVersion":2,"manifests":[{"mediaType":"%s","digest":"%s","size":%d,\
        "annotations":{"org.opencontainers.image.ref.name":"%s"}}]}"""
        .formatted(mediaType, Digests.sha256(top), top.length, ref).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The layout as one tar archive (oci-layout, index.json, then the blobs), the form {@code ctr images
   * import} and {@code docker load} read, written to {@code file}.
   */
  Path writeTar(Path file) throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("oci-layout", Files.readAllBytes(dir.resolve("oci-layout")));
    entries.put("index.json", Files.readAllBytes(dir.resolve("index.json")));
    try (Stream<Path> blobs = Files.list(dir.resolve("blobs/sha256"))) {
      for (Path blob : blobs.sorted().toList()) {
        entries.put("blobs/sha256/" + blob.getFileName(), Files.readAllBytes(blob));
      }
    }
    return Files.write(file, Layers.tar(entries));
  }

  /** The top-level index.json: the entry points of the layout. */
  JsonNode indexJson() {
    return parse(read(dir.resolve("index.json")));
  }

  /** A blob's bytes, checked against its digest so a corrupt copy cannot pass unnoticed. */
  byte[] blob(String digest) {
    byte[] content = read(dir.resolve("blobs/sha256").resolve(Digests.hex(digest)));
    assertEquals(digest, Digests.sha256(content), "blob content does not match its name in " + dir);
    return content;
  }

  JsonNode jsonBlob(String digest) {
    return parse(blob(digest));
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode parse(byte[] json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
