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
import java.text.ParseException;

/**
 * The key tokens are signed with: an EC P-256 key (ES256), kept as a JWK file readable by its owner only, made on
 * first start when absent. Its key id is the RFC 7638 thumbprint, which JWKS-based verifiers match against.
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
        return new SigningKey(ec);
      } catch (ParseException e) {
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
      ECKey generated = new ECKeyGenerator(Curve.P_256).generate();
      return new SigningKey(new ECKey.Builder(generated).keyID(generated.computeThumbprint().toString()).build());
    } catch (JOSEException e) {
      throw new IllegalStateException("every JDK can make P-256 keys", e);
    }
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
