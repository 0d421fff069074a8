package io.berth.server.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the configuration: defaults, then the YAML file if any, then environment variables.
 *
 * <p>The environment rule: every option {@code a.b.c} can be set by {@code BERTH_A_B_C}, the YAML path
 * upper-cased and joined with '_' (so {@code storage.filesystem.root} is {@code BERTH_STORAGE_FILESYSTEM_ROOT}).
 * Keys contain no '_' themselves, so the rule is never ambiguous. An unknown option is an error, in the file or
 * in the environment, so a typo never passes silently. Lists and maps (the access rules, groups) are set in
 * the file only.
 */
public final class ConfigLoader {
  static final String ENV_PREFIX = "BERTH_";
  /** Variables of ours that are not options. */
  private static final java.util.Set<String> NOT_OPTIONS = java.util.Set.of("BERTH_CONFIG");

  private static final ObjectMapper YAML = YAMLMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .build();

  private ConfigLoader() {}

  public static ServerConfig load(Path file, Map<String, String> env) throws IOException {
    ObjectNode tree = YAML.valueToTree(ServerConfig.DEFAULTS);
    if (file != null) {
      JsonNode fromFile = YAML.readTree(Files.readAllBytes(file));
      if (fromFile != null && !fromFile.isMissingNode() && !fromFile.isNull()) {
        if (!fromFile.isObject()) {
          throw new IllegalArgumentException(file + ": the configuration must be a YAML mapping");
        }
        merge(tree, (ObjectNode) fromFile, "");
      }
    }
    applyEnvironment(tree, env);
    return YAML.treeToValue(tree, ServerConfig.class);
  }

  private static void merge(ObjectNode into, ObjectNode from, String where) {
    for (var it = from.fields(); it.hasNext(); ) {
      var e = it.next();
      String path = where.isEmpty() ? e.getKey() : where + "." + e.getKey();
      JsonNode existing = into.get(e.getKey());
      if (existing == null) {
        throw new IllegalArgumentException("unknown configuration option: " + path);
      }
      // A section merges key by key; an empty one is a map (auth.groups) whose keys are the user's to choose.
      if (existing.isObject() && !existing.isEmpty() && e.getValue().isObject()) {
        merge((ObjectNode) existing, (ObjectNode) e.getValue(), path);
      } else {
        into.set(e.getKey(), e.getValue());
      }
    }
  }

  private static void applyEnvironment(ObjectNode tree, Map<String, String> env) {
    for (var e : new TreeMap<>(env).entrySet()) {
      String name = e.getKey();
      if (!name.startsWith(ENV_PREFIX) || NOT_OPTIONS.contains(name)) {
        continue;
      }
      String[] parts = name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).split("_");
      ObjectNode node = tree;
      for (int i = 0; i < parts.length - 1; i++) {
        JsonNode child = node.get(parts[i]);
        if (child == null || !child.isObject()) {
          throw new IllegalArgumentException("unknown configuration variable: " + name);
        }
        node = (ObjectNode) child;
      }
      String leaf = parts[parts.length - 1];
      if (node.get(leaf) == null || node.get(leaf).isObject()) {
        throw new IllegalArgumentException("unknown configuration variable: " + name);
      }
      // Jackson coerces the text to the option's type (number, boolean) when binding.
      node.set(leaf, TextNode.valueOf(e.getValue()));
    }
  }
}
