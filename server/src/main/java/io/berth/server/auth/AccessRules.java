package io.berth.server.auth;

import io.berth.server.config.ServerConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The access rules of the configuration, evaluated: what an identity may do on a resource is the union of what
 * every matching rule grants it, and a request gets the part of what it asks for that is granted, never more.
 */
public final class AccessRules {
  private static final Set<String> ACTIONS = Set.of(Access.PULL, Access.PUSH, Access.DELETE);

  private record Rule(Pattern repositories, boolean catalog, Set<String> users, Set<String> groups,
      boolean anonymous, Set<String> actions) {}

  private final List<Rule> rules;
  private final Map<String, Set<String>> groupsOfUser;

  private AccessRules(List<Rule> rules, Map<String, Set<String>> groupsOfUser) {
    this.rules = rules;
    this.groupsOfUser = groupsOfUser;
  }

  /** @throws IllegalArgumentException for a rule that can't mean anything, so a typo stops the server */
  public static AccessRules of(ServerConfig.Auth auth) {
    List<Rule> rules = new ArrayList<>();
    for (ServerConfig.AccessRule r : auth.access()) {
      if ((r.repositories() == null) == !r.catalog()) {
        throw new IllegalArgumentException("an access rule names either repositories or catalog: true: " + r);
      }
      for (String action : r.actions()) {
        if (!ACTIONS.contains(action)) {
          throw new IllegalArgumentException("unknown action '" + action + "' in access rule " + r);
        }
      }
      if (r.users().isEmpty() && r.groups().isEmpty() && !r.anonymous()) {
        throw new IllegalArgumentException("an access rule names users, groups or anonymous: true: " + r);
      }
      rules.add(new Rule(r.repositories() == null ? null : glob(r.repositories()), r.catalog(), Set.copyOf(r.users()),
          Set.copyOf(r.groups()), r.anonymous(), Set.copyOf(r.actions())));
    }
    Map<String, Set<String>> groupsOfUser = new java.util.HashMap<>();
    auth.groups().forEach((group, users) -> users.forEach(
        user -> groupsOfUser.computeIfAbsent(user, u -> new HashSet<>()).add(group)));
    return new AccessRules(List.copyOf(rules), groupsOfUser);
  }

  /** {@code *} is any run of characters, '/' included; everything else is literal. */
  private static Pattern glob(String pattern) {
    StringBuilder regex = new StringBuilder();
    for (String literal : pattern.split("\\*", -1)) {
      if (!regex.isEmpty()) {
        regex.append(".*");
      }
      regex.append(Pattern.quote(literal));
    }
    return Pattern.compile(regex.toString());
  }

  /** The identity of a signed-in user, with the groups the configuration puts it in. */
  public Identity identify(String user) {
    return new Identity(user, groupsOfUser.getOrDefault(user, Set.of()));
  }

  /** The actions of {@code requested} that {@code who} may do. */
  public Set<String> granted(Access requested, Identity who) {
    Set<String> granted = new LinkedHashSet<>();
    for (Rule rule : rules) {
      if (appliesTo(rule, requested) && covers(rule, who)) {
        if (rule.catalog()) {
          granted.addAll(requested.actions());
        } else {
          rule.actions().stream().filter(requested.actions()::contains).forEach(granted::add);
        }
      }
    }
    return granted;
  }

  private static boolean appliesTo(Rule rule, Access access) {
    if (access.equals(Access.CATALOG)) {
      return rule.catalog();
    }
    return "repository".equals(access.type()) && rule.repositories() != null
        && rule.repositories().matcher(access.name()).matches();
  }

  private static boolean covers(Rule rule, Identity who) {
    if (rule.anonymous()) {
      return true;
    }
    if (who.anonymous()) {
      return false;
    }
    return rule.users().contains("*") || rule.users().contains(who.user()) || rule.groups().contains("*")
        || who.groups().stream().anyMatch(rule.groups()::contains);
  }
}
