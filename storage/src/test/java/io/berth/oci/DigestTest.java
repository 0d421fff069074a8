package io.berth.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class DigestTest {
  private static final String HELLO_SHA256 = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

  @Test
  void parsesAndPrintsSha256() {
    Digest d = Digest.parse(HELLO_SHA256);
    assertEquals(DigestAlgorithm.SHA256, d.algorithm());
    assertEquals(HELLO_SHA256, d.toString());
  }

  @Test
  void digestsContent() {
    assertEquals(Digest.parse(HELLO_SHA256), Digest.sha256("hello".getBytes(StandardCharsets.UTF_8)));
    Digest sha512 = Digest.of(DigestAlgorithm.SHA512, "hello".getBytes(StandardCharsets.UTF_8));
    assertEquals("sha512:9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca7"
        + "2323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043", sha512.toString());
    assertEquals(sha512, Digest.parse(sha512.toString()));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "sha256", "sha256:", "sha256:abc",
      "sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824", // upper case
      "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982", // one short
      "md5:5d41402abc4b2a76b9719d911017c592", // unsupported algorithm
      "sha256:../../../../etc/passwd",
      ":2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"})
  void refusesMalformedDigests(String text) {
    RegistryException e = assertThrows(RegistryException.class, () -> Digest.parse(text));
    assertEquals(ErrorCode.DIGEST_INVALID, e.code());
  }
}
