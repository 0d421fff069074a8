package io.berth.e2e;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

final class Digests {
  private Digests() {}

  /** The OCI digest string of some bytes: {@code sha256:<64 hex digits>}. */
  static String sha256(byte[] content) {
    try {
      return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }

  /** The hex part of a digest, the file name of a blob in an OCI layout. */
  static String hex(String digest) {
    return digest.substring(digest.indexOf(':') + 1);
  }
}
