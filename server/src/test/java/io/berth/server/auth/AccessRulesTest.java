package io.berth.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.berth.server.config.ServerConfig;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AccessRulesTest {
  static ServerConfig.AccessRule rule(String repositories, List<String> users, List<String> groups, boolean anonymous,
      String... actions) {
    return new ServerConfig.AccessRule(repositories, false, users, groups, anonymous, List.of(actions));
  }

  static final AccessRules RULES = AccessRules.of(new ServerConfig.Auth("htpasswd", "berth", null, null,
      Map.of("devs", List.of("bob", "carol")),
      List.of(
          rule("team/*", List.of("alice"), List.of(), false, "pull", "push", "delete"),
          rule("team/*", List.of(), List.of("devs"), false, "pull"),
          rule("team/app", List.of(), List.of("devs"), false, "push"),
          rule("public/*", List.of("*"), List.of(), true, "pull"),
          new ServerConfig.AccessRule(null, true, List.of("alice"), List.of(), false, List.of()))));

  static Set<String> granted(String scopeName, String user, String... actions) {
    Identity who = user == null ? Identity.ANONYMOUS : RULES.identify(user);
    return RULES.granted(Access.repository(scopeName, actions), who);
  }

  @Test
  void grantsTheUnionOfMatchingRulesIntersectedWithWhatIsAsked() {
    assertEquals(Set.of("pull", "push"), granted("team/app/api", "alice", "pull", "push"));
    assertEquals(Set.of("pull"), granted("team/other", "bob", "pull", "push"), "devs only pull here");
    assertEquals(Set.of("pull", "push"), granted("team/app", "carol", "pull", "push"), "two rules add up");
    assertEquals(Set.of(), granted("other/thing", "alice", "pull"), "no rule, no access");
  }

  @Test
  void anonymousGetsOnlyWhatRulesGiveAnyone() {
    assertEquals(Set.of("pull"), granted("public/base", null, "pull", "push"));
    assertEquals(Set.of(), granted("team/app", null, "pull"));
    assertEquals(Set.of("pull"), granted("public/base", "nobody-in-particular", "pull"), "* is any signed-in user");
  }

  @Test
  void theCatalogNeedsACatalogRule() {
    assertEquals(Set.of("*"), RULES.granted(Access.CATALOG, RULES.identify("alice")));
    assertEquals(Set.of(), RULES.granted(Access.CATALOG, RULES.identify("bob")));
    assertEquals(Set.of(), RULES.granted(Access.CATALOG, Identity.ANONYMOUS));
  }

  @Test
  void rulesThatMeanNothingAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> AccessRules.of(new ServerConfig.Auth("htpasswd", "b", null, null,
        Map.of(), List.of(rule("x/*", List.of("a"), List.of(), false, "pul")))));
    assertThrows(IllegalArgumentException.class, () -> AccessRules.of(new ServerConfig.Auth("htpasswd", "b", null, null,
        Map.of(), List.of(rule("x/*", List.of(), List.of(), false, "pull")))));
    assertThrows(IllegalArgumentException.class, () -> AccessRules.of(new ServerConfig.Auth("htpasswd", "b", null, null,
        Map.of(), List.of(rule(null, List.of("a"), List.of(), false, "pull")))));
  }
}
