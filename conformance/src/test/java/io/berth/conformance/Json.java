package io.berth.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The one Jackson mapper of the suite. */
final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /**
   * Pretty-printed with a trailing newline, on purpose: a registry that re-serializes a manifest instead of
   * storing the bytes it received would change them (and the digest), and the exact-bytes checks would catch it.
   */
  static byte[] bytes(JsonNode node) {
    try {
      return (MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n")
          .getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  static JsonNode parse(byte[] bytes) {
    try {
      return MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + new String(bytes, StandardCharsets.UTF_8), e);
    }
  }
}
