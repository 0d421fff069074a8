package io.berth.server.tls;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;

/**
 * The private key in a PEM file: PKCS#8 ({@code BEGIN PRIVATE KEY}, what OpenSSL 3 writes), or the traditional
 * RSA ({@code BEGIN RSA PRIVATE KEY}) and EC ({@code BEGIN EC PRIVATE KEY}) forms, which are wrapped into PKCS#8
 * here so the JDK reads them without BouncyCastle. Encrypted keys are refused: there is no passphrase to give.
 */
final class PrivateKeys {
  /** What to run when a key is in a form we don't read. */
  static final String CONVERT = "openssl pkcs8 -topk8 -nocrypt -in KEY -out berth.key";

  /** The OIDs, DER contents: rsaEncryption (1.2.840.113549.1.1.1) and ecPublicKey (1.2.840.10045.2.1). */
  private static final byte[] RSA_ENCRYPTION =
      {0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 0x01, 0x01, 0x01};
  private static final byte[] EC_PUBLIC_KEY = {0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x02, 0x01};
  /** The JDK's key factories a PKCS#8 key may belong to. */
  private static final List<String> ALGORITHMS = List.of("RSA", "EC", "EdDSA", "RSASSA-PSS");

  private PrivateKeys() {}

  /** The one private key among {@code blocks}; an error that says what to do when there is none we can read. */
  static PrivateKey of(List<Pem.Block> blocks) {
    for (Pem.Block block : blocks) {
      if (block.encrypted() || block.type().equals("ENCRYPTED PRIVATE KEY")) {
        throw new IllegalArgumentException("the key is encrypted, and Berth has no passphrase to open it;"
            + " store it unencrypted (readable by Berth only): " + CONVERT);
      }
      switch (block.type()) {
        case "PRIVATE KEY" -> { return pkcs8(block.der()); }
        case "RSA PRIVATE KEY" -> { return pkcs8(pkcs1ToPkcs8(block.der())); }
        case "EC PRIVATE KEY" -> { return pkcs8(sec1ToPkcs8(block.der())); }
        default -> { } // EC PARAMETERS before an EC key, a certificate in the same file: not the key
      }
    }
    throw new IllegalArgumentException("no private key found; expected a PEM block -----BEGIN PRIVATE KEY-----"
        + " (PKCS#8; convert another form with: " + CONVERT + ")");
  }

  private static PrivateKey pkcs8(byte[] der) {
    for (String algorithm : ALGORITHMS) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException | IllegalArgumentException notThisOne) {
        // next
      }
    }
    throw new IllegalArgumentException("the private key is not an RSA, EC or EdDSA key the JDK can read");
  }

  /** PKCS#8 around a PKCS#1 RSA key: version 0, algorithm rsaEncryption with NULL parameters, the key. */
  private static byte[] pkcs1ToPkcs8(byte[] pkcs1) {
    byte[] algorithm = Der.encode(Der.SEQUENCE, Der.encode(Der.OID, RSA_ENCRYPTION), Der.encode(Der.NULL));
    return Der.encode(Der.SEQUENCE, Der.encode(Der.INTEGER, new byte[] {0}), algorithm,
        Der.encode(Der.OCTET_STRING, pkcs1));
  }

  /** PKCS#8 around a SEC1 EC key: algorithm ecPublicKey with the key's own curve (its {@code [0]} field). */
  private static byte[] sec1ToPkcs8(byte[] sec1) {
    byte[] curve = null;
    try {
      for (Der.Element e : Der.sequence(sec1)) {
        if (e.tag() == Der.CONTEXT_0) {
          curve = e.value(); // the curve's OID, whole
        }
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("the EC private key is malformed (" + e.getMessage() + ")");
    }
    if (curve == null) {
      throw new IllegalArgumentException("the EC private key does not name its curve; convert it: " + CONVERT);
    }
    byte[] algorithm = Der.encode(Der.SEQUENCE, Der.encode(Der.OID, EC_PUBLIC_KEY), curve);
    return Der.encode(Der.SEQUENCE, Der.encode(Der.INTEGER, new byte[] {0}), algorithm,
        Der.encode(Der.OCTET_STRING, sec1));
  }
}
