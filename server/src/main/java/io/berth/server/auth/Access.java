package io.berth.server.auth;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a request needs, in the terms of the Docker token scope grammar: a resource type, a name and actions,
 * written {@code repository:team/app:pull,push} or {@code registry:catalog:*}. Authentication (a later step)
 * grants or refuses these; the route table says which each request needs.
 */
public record Access(String type, String name, Set<String> actions) {
  public static final String PULL = "pull";
  public static final String PUSH = "push";
  public static final String DELETE = "delete";
  /** The catalog, which only distribution's {@code registry:catalog:*} scope opens. */
  public static final Access CATALOG = new Access("registry", "catalog", Set.of("*"));

  /** Actions in the order clients write them in scopes. */
  private static final List<String> ORDER = List.of(PULL, PUSH, DELETE, "*");

  public Access {
    actions = Set.copyOf(actions);
  }

  public static Access repository(String name, String... actions) {
    return new Access("repository", name, Set.of(actions));
  }

  /** The scope string, as in a {@code WWW-Authenticate} challenge: {@code repository:team/app:pull,push}. */
  public String scope() {
    String list = actions.stream()
        .sorted((a, b) -> Integer.compare(rank(a), rank(b)))
        .collect(Collectors.joining(","));
    return type + ":" + name + ":" + list;
  }

  private static int rank(String action) {
    int i = ORDER.indexOf(action);
    return i < 0 ? ORDER.size() : i;
  }
}
