package io.berth.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RepositoryNameTest {

  @ParameterizedTest
  @ValueSource(strings = {"app", "team/app", "team/app/api", "a.b", "a_b", "a__b", "a---b", "0", "library/ubuntu-22.04"})
  void acceptsTheSpecGrammar(String name) {
    assertTrue(RepositoryName.isValid(name));
    assertEquals(name, RepositoryName.parse(name).value());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "App", "team/App", "..", "a/../b", "a//b", "/a", "a/", "_a", "a_", "a___b", ".a",
      "a..b", "team%2Fapp", "%2e%2e", "a/_layers", "a:b", "a b", "a\\b"})
  void refusesEverythingElse(String name) {
    assertFalse(RepositoryName.isValid(name));
    RegistryException e = assertThrows(RegistryException.class, () -> RepositoryName.parse(name));
    assertEquals(ErrorCode.NAME_INVALID, e.code());
  }

  @org.junit.jupiter.api.Test
  void refusesNamesOver255Characters() {
    assertTrue(RepositoryName.isValid("a".repeat(255)));
    assertFalse(RepositoryName.isValid("a".repeat(256)));
  }
}
