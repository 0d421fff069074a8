package io.berth.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Descriptors as JSON objects, in the field order of the image-spec. */
public final class DescriptorJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DescriptorJson() {}

  public static ObjectNode toJson(Descriptor d) {
    ObjectNode node = JSON.createObjectNode();
    node.put("mediaType", d.mediaType());
    node.put("digest", d.digest().toString());
    node.put("size", d.size());
    if (d.artifactType() != null) {
      node.put("artifactType", d.artifactType());
    }
    if (d.annotations() != null && !d.annotations().isEmpty()) {
      ObjectNode annotations = node.putObject("annotations");
      d.annotations().forEach(annotations::put);
    }
    return node;
  }

  public static byte[] toBytes(Descriptor d) {
    try {
      return JSON.writeValueAsBytes(toJson(d));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads a descriptor this class wrote. */
  public static Descriptor fromBytes(byte[] bytes) throws IOException {
    JsonNode node = JSON.readTree(bytes);
    Map<String, String> annotations = null;
    JsonNode a = node.get("annotations");
    if (a != null && a.isObject()) {
      annotations = new LinkedHashMap<>();
      for (var it = a.fields(); it.hasNext(); ) {
        var e = it.next();
        annotations.put(e.getKey(), e.getValue().asText());
      }
    }
    JsonNode artifactType = node.get("artifactType");
    return new Descriptor(node.get("mediaType").asText(), Digest.parse(node.get("digest").asText()),
        node.get("size").asLong(), artifactType == null ? null : artifactType.asText(), annotations);
  }
}
