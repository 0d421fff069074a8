package io.berth.conformance;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Builds OCI image indexes and Docker manifest lists. */
final class IndexBuilder {
  private final String mediaType;
  private final ObjectNode root = Json.object();
  private final ArrayNode manifests;

  private IndexBuilder(String mediaType) {
    this.mediaType = mediaType;
    root.put("schemaVersion", 2);
    root.put("mediaType", mediaType);
    manifests = root.putArray("manifests");
  }

  static IndexBuilder oci() {
    return new IndexBuilder(MediaTypes.OCI_INDEX);
  }

  static IndexBuilder dockerList() {
    return new IndexBuilder(MediaTypes.DOCKER_MANIFEST_LIST);
  }

  IndexBuilder manifest(Manifest manifest, String os, String architecture) {
    ObjectNode descriptor = ImageManifestBuilder.descriptor(manifest.mediaType(), manifest.digest(), manifest.size());
    ObjectNode platform = descriptor.putObject("platform");
    platform.put("architecture", architecture);
    platform.put("os", os);
    manifests.add(descriptor);
    return this;
  }

  Manifest build() {
    return Manifest.of(mediaType, Json.bytes(root));
  }
}
