package io.berth.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TagTest {

  @ParameterizedTest
  @ValueSource(strings = {"latest", "1", "v1.2.3", "_x", "A-b_c.d", "sha256-abc"})
  void acceptsValidTags(String tag) {
    assertEquals(tag, Tag.parse(tag).name());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".hidden", "-x", "a/b", "a%20b", "..", "a b"})
  void refusesInvalidTags(String tag) {
    assertEquals(ErrorCode.TAG_INVALID, assertThrows(RegistryException.class, () -> Tag.parse(tag)).code());
  }

  @Test
  void refusesTagsOver128Characters() {
    Tag.parse("a".repeat(128));
    assertThrows(RegistryException.class, () -> Tag.parse("a".repeat(129)));
  }

  @Test
  void referencesAreTagsOrDigests() {
    assertInstanceOf(Tag.class, Reference.parse("latest"));
    assertInstanceOf(Digest.class,
        Reference.parse("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"));
    assertEquals(ErrorCode.DIGEST_INVALID, assertThrows(RegistryException.class, () -> Reference.parse("sha256:zz")).code());
  }
}
