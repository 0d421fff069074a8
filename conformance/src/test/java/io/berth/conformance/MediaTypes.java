package io.berth.conformance;

/** The media types the suite pushes. */
final class MediaTypes {
  private MediaTypes() {}

  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
  static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";

  static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
  static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";

  /** What a client that understands every manifest kind sends, so the registry never has to convert. */
  static final String ACCEPT_ALL_MANIFESTS =
      String.join(", ", OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST);
}
