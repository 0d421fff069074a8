package io.berth.oci;

/** What a manifest is fetched by: a {@link Tag} or a {@link Digest}. */
public sealed interface Reference permits Tag, Digest {

  /**
   * Parses the {@code <reference>} path component of a manifest URL.
   *
   * @throws RegistryException DIGEST_INVALID for a malformed digest, TAG_INVALID for a malformed tag
   */
  static Reference parse(String text) {
    return Digest.looksLikeDigest(text) ? Digest.parse(text) : Tag.parse(text);
  }
}
