package io.berth.server.auth.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.util.Arrays;

/**
 * The key tokens are signed with: an EC P-256 key (ES256), kept as a JWK file readable by its owner only, made on
 * first start when absent.
 *
 * <p>Its key id is the libtrust fingerprint of the public key (the first 240 bits of the SHA-256 of its DER
 * encoding, base32, in groups of four), which is what distribution and the token verifiers derived from it look
 * up among the certificates they trust; JWKS-based verifiers take any key id, so this one suits both.
 */
public final class SigningKey {
  private final ECKey key;

  private SigningKey(ECKey key) {
    this.key = key;
  }

  /** Reads the key at {@code file}, or makes one and writes it there (atomically, mode 0600). */
  public static SigningKey loadOrCreate(Path file) throws IOException {
    if (Files.exists(file)) {
      try {
        JWK jwk = JWK.parse(Files.readString(file, StandardCharsets.UTF_8));
        if (!(jwk instanceof ECKey ec) || !ec.isPrivate() || !Curve.P_256.equals(ec.getCurve())) {
          throw new IOException(file + ": not a private EC P-256 key");
        }
        return new SigningKey(withKeyId(ec));
      } catch (ParseException | JOSEException e) {
        throw new IOException(file + ": not a JWK: " + e.getMessage(), e);
      }
    }
    SigningKey created = generate();
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path temp = Files.createTempFile(dir, ".key-", ".tmp");
    try {
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
      Files.writeString(temp, created.key.toJSONString(), StandardCharsets.UTF_8);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
    return created;
  }

  /** A new key held in memory only. */
  public static SigningKey generate() {
    try {
      return new SigningKey(withKeyId(new ECKeyGenerator(Curve.P_256).generate()));
    } catch (JOSEException e) {
      throw new IllegalStateException("every JDK can make P-256 keys", e);
    }
  }

  private static ECKey withKeyId(ECKey key) throws JOSEException {
    return new ECKey.Builder(key).keyID(libtrustKeyId(key.toECPublicKey().getEncoded())).build();
  }

  /** libtrust's {@code keyIDFromCryptoKey}: SHA-256 of the DER public key, 30 bytes, base32, "ABCD:EFGH:…". */
  static String libtrustKeyId(byte[] publicKeyDer) {
    byte[] sha;
    try {
      sha = MessageDigest.getInstance("SHA-256").digest(publicKeyDer);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    String base32 = base32(Arrays.copyOf(sha, 30));
    StringBuilder id = new StringBuilder();
    for (int i = 0; i < base32.length(); i += 4) {
      if (i > 0) {
        id.append(':');
      }
      id.append(base32, i, Math.min(i + 4, base32.length()));
    }
    return id.toString();
  }

  /** RFC 4648 base32 of a whole number of 5-byte groups (so never padded). */
  private static String base32(byte[] bytes) {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < bytes.length; i += 5) {
      long group = 0;
      for (int j = 0; j < 5; j++) {
        group = (group << 8) | (bytes[i + j] & 0xff);
      }
      for (int shift = 35; shift >= 0; shift -= 5) {
        out.append(alphabet.charAt((int) (group >>> shift) & 31));
      }
    }
    return out.toString();
  }

  ECKey privateKey() {
    return key;
  }

  /** The public half, as a JWK (for a JWKS document, or for another Berth that only verifies). */
  public ECKey publicKey() {
    return key.toPublicJWK();
  }

  public String keyId() {
    return key.getKeyID();
  }
}
