package io.berth.conformance;

/** A manifest as pushed: its media type, the exact bytes sent, and the sha256 digest of those bytes. */
record Manifest(String mediaType, byte[] bytes, String digest) {

  static Manifest of(String mediaType, byte[] bytes) {
    return new Manifest(mediaType, bytes, Digests.sha256(bytes));
  }

  int size() {
    return bytes.length;
  }
}
