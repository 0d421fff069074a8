package io.berth.server.auth.token;

import io.berth.oci.RegistryException;
import io.berth.oci.RepositoryName;
import io.berth.server.auth.Access;
import io.berth.server.auth.Denial;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the {@code scope} parameters of a token request: {@code repository:team/app:pull,push} or
 * {@code registry:catalog:*}, several per parameter when separated by spaces (the OAuth2 form), several
 * parameters (docker's GET). Requests for the same resource are merged; {@code *} on a repository asks for every
 * action. Resource types we don't know are left out (they would grant nothing); a malformed scope is a 400.
 */
final class Scopes {
  static final int MAX_SCOPES = 64;
  /** Keeps what a token grants well within what the verifier reads (8 KiB) and a request header can carry. */
  static final int MAX_SCOPE_CHARS = 4096;
  private static final Set<String> REPOSITORY_ACTIONS = Set.of(Access.PULL, Access.PUSH, Access.DELETE);

  private Scopes() {}

  static List<Access> parse(List<String> parameters) {
    Map<String, Set<String>> byResource = new LinkedHashMap<>();
    int count = 0;
    if (parameters.stream().mapToInt(String::length).sum() > MAX_SCOPE_CHARS) {
      throw Denial.badRequest("scopes longer than " + MAX_SCOPE_CHARS + " characters in all");
    }
    for (String parameter : parameters) {
      for (String scope : parameter.trim().split("\\s+")) {
        if (scope.isEmpty()) {
          continue;
        }
        if (++count > MAX_SCOPES) {
          throw Denial.badRequest("more than " + MAX_SCOPES + " scopes");
        }
        Access access = parseOne(scope);
        if (access != null) {
          byResource.computeIfAbsent(access.type() + ":" + access.name(), k -> new LinkedHashSet<>())
              .addAll(access.actions());
        }
      }
    }
    List<Access> merged = new ArrayList<>();
    byResource.forEach((resource, actions) -> {
      int colon = resource.indexOf(':');
      merged.add(new Access(resource.substring(0, colon), resource.substring(colon + 1), actions));
    });
    return merged;
  }

  /** One scope, or null for a resource type we grant nothing on. */
  private static Access parseOne(String scope) {
    int first = scope.indexOf(':');
    int last = scope.lastIndexOf(':');
    if (first <= 0 || last == first) {
      throw Denial.badRequest("malformed scope: " + abbreviate(scope));
    }
    String type = scope.substring(0, first);
    String name = scope.substring(first + 1, last);
    Set<String> actions = new LinkedHashSet<>();
    for (String action : scope.substring(last + 1).split(",")) {
      if (!action.isBlank()) {
        actions.add(action.strip());
      }
    }
    return switch (type) {
      case "repository" -> {
        try {
          RepositoryName.parse(name);
        } catch (RegistryException e) {
          throw Denial.badRequest("malformed scope: " + abbreviate(scope));
        }
        if (actions.remove("*")) {
          actions.addAll(REPOSITORY_ACTIONS);
        }
        actions.retainAll(REPOSITORY_ACTIONS);
        yield new Access(type, name, actions);
      }
      case "registry" -> Access.CATALOG.name().equals(name) && actions.contains("*") ? Access.CATALOG : null;
      default -> null;
    };
  }

  private static String abbreviate(String s) {
    return io.berth.oci.Text.abbreviate(s, 200);
  }
}
