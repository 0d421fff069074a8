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

  /**
   * A buildx provenance entry: the attestation manifest for {@code subject}, with the unknown/unknown platform and
   * the annotations buildx writes.
   */
  IndexBuilder attestation(Manifest attestation, Manifest subject) {
    ObjectNode descriptor =
        ImageManifestBuilder.descriptor(attestation.mediaType(), attestation.digest(), attestation.size());
    ObjectNode annotations = descriptor.putObject("annotations");
    annotations.put("vnd.docker.reference.digest", subject.digest());
    annotations.put("vnd.docker.reference.type", "attestation-manifest");
    ObjectNode platform = descriptor.putObject("platform");
    platform.put("architecture", "unknown");
    platform.put("os", "unknown");
    manifests.add(descriptor);
    return this;
  }

  /** An entry that is a plain blob, not a manifest, as in buildkit's registry cache export. */
  IndexBuilder blob(String mediaType, Blob blob) {
    manifests.add(ImageManifestBuilder.descriptor(mediaType, blob.digest(), blob.size()));
    return this;
  }

  Manifest build() {
    return Manifest.of(mediaType, Json.bytes(root));
  }
}
