package io.berth.oci;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest such as {@code sha256:6c3c...}: an algorithm and the lower-case hex of the hash.
 * Only the algorithms in {@link DigestAlgorithm} are accepted, so a digest can always be verified.
 */
public record Digest(DigestAlgorithm algorithm, String hex) implements Reference {
  // OCI image-spec digest grammar: algorithm ":" encoded, encoded being lower-case hex for sha256/sha512.
  private static final Pattern GRAMMAR = Pattern.compile("[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+");
  private static final Pattern LOWER_HEX = Pattern.compile("[a-f0-9]+");

  public Digest {
    if (hex.length() != algorithm.hexLength() || !LOWER_HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException("not a " + algorithm.id() + " digest: " + hex);
    }
  }

  /**
   * Parses a digest string.
   *
   * @throws RegistryException DIGEST_INVALID when the text is not a digest of a supported algorithm
   */
  public static Digest parse(String text) {
    if (text == null || text.length() > 256 || !GRAMMAR.matcher(text).matches()) {
      throw new RegistryException(ErrorCode.DIGEST_INVALID, "invalid digest: " + Text.abbreviate(text, 80));
    }
    int colon = text.indexOf(':');
    DigestAlgorithm algorithm = DigestAlgorithm.byId(text.substring(0, colon))
        .orElseThrow(() -> new RegistryException(ErrorCode.DIGEST_INVALID,
            "unsupported digest algorithm: " + Text.abbreviate(text.substring(0, colon), 80)));
    String hex = text.substring(colon + 1);
    if (hex.length() != algorithm.hexLength() || !LOWER_HEX.matcher(hex).matches()) {
      throw new RegistryException(ErrorCode.DIGEST_INVALID, "invalid " + algorithm.id() + " digest: " + Text.abbreviate(text, 80));
    }
    return new Digest(algorithm, hex);
  }

  /** True when the text looks like a digest rather than a tag (tags can't contain ':'). */
  public static boolean looksLikeDigest(String text) {
    return text.indexOf(':') > 0;
  }

  public static Digest of(DigestAlgorithm algorithm, byte[] content) {
    return fromHash(algorithm, algorithm.newMessageDigest().digest(content));
  }

  public static Digest sha256(byte[] content) {
    return of(DigestAlgorithm.SHA256, content);
  }

  /** The digest whose hash bytes are {@code hash}. */
  public static Digest fromHash(DigestAlgorithm algorithm, byte[] hash) {
    return new Digest(algorithm, HexFormat.of().formatHex(hash));
  }

  /** The digest of what {@code md} has hashed so far; {@code md} is reset. */
  public static Digest finish(DigestAlgorithm algorithm, MessageDigest md) {
    return fromHash(algorithm, md.digest());
  }

  @Override
  public String toString() {
    return algorithm.id() + ":" + hex;
  }

}
