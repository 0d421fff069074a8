package io.berth.conformance;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** OCI digest strings ({@code algorithm:hex}) computed over exact bytes. */
final class Digests {
  private Digests() {}

  static String sha256(byte[] bytes) {
    return digest("sha256", "SHA-256", bytes);
  }

  static String sha512(byte[] bytes) {
    return digest("sha512", "SHA-512", bytes);
  }

  private static String digest(String ociName, String javaName, byte[] bytes) {
    try {
      return ociName + ":" + HexFormat.of().formatHex(MessageDigest.getInstance(javaName).digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(javaName + " is required of every JVM", e);
    }
  }
}
