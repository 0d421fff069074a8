package io.berth.conformance;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds OCI image manifests (including artifacts with a subject) and Docker schema2 manifests. */
final class ImageManifestBuilder {
  private final String mediaType;
  private final String layerMediaType;
  private String configMediaType;
  private Blob config = Blob.of("{}");
  private final ObjectNode root = Json.object();
  private final ArrayNode layers;
  private String artifactType;
  private ObjectNode subject;
  private final Map<String, String> annotations = new LinkedHashMap<>();

  private ImageManifestBuilder(String mediaType, String configMediaType, String layerMediaType) {
    this.mediaType = mediaType;
    this.configMediaType = configMediaType;
    this.layerMediaType = layerMediaType;
    root.put("schemaVersion", 2);
    root.put("mediaType", mediaType);
    layers = Json.object().arrayNode();
  }

  static ImageManifestBuilder oci() {
    return new ImageManifestBuilder(MediaTypes.OCI_MANIFEST, MediaTypes.OCI_CONFIG, MediaTypes.OCI_LAYER);
  }

  static ImageManifestBuilder docker() {
    return new ImageManifestBuilder(MediaTypes.DOCKER_MANIFEST, MediaTypes.DOCKER_CONFIG, MediaTypes.DOCKER_LAYER);
  }

  ImageManifestBuilder config(Blob blob) {
    this.config = blob;
    return this;
  }

  /** Artifacts without {@code artifactType} are typed by their config media type (the referrers API falls back to it). */
  ImageManifestBuilder configMediaType(String type) {
    this.configMediaType = type;
    return this;
  }

  ImageManifestBuilder layer(Blob blob) {
    return layer(blob, layerMediaType);
  }

  ImageManifestBuilder layer(Blob blob, String mediaType) {
    layers.add(descriptor(mediaType, blob.digest(), blob.size()));
    return this;
  }

  ImageManifestBuilder artifactType(String type) {
    this.artifactType = type;
    return this;
  }

  ImageManifestBuilder subject(Manifest manifest) {
    this.subject = descriptor(manifest.mediaType(), manifest.digest(), manifest.size());
    return this;
  }

  ImageManifestBuilder annotation(String key, String value) {
    annotations.put(key, value);
    return this;
  }

  Manifest build() {
    if (artifactType != null) {
      root.put("artifactType", artifactType);
    }
    root.set("config", descriptor(configMediaType, config.digest(), config.size()));
    root.set("layers", layers);
    if (subject != null) {
      root.set("subject", subject);
    }
    if (!annotations.isEmpty()) {
      ObjectNode node = root.putObject("annotations");
      annotations.forEach(node::put);
    }
    return Manifest.of(mediaType, Json.bytes(root));
  }

  static ObjectNode descriptor(String mediaType, String digest, long size) {
    ObjectNode node = Json.object();
    node.put("mediaType", mediaType);
    node.put("digest", digest);
    node.put("size", size);
    return node;
  }
}
