package io.berth.server.auth;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.berth.server.config.ServerConfig;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Settings that end up inside quoted challenge parameters can't hold what would break out of the quotes. */
class AuthenticationTest {
  @Test
  void realmsAndServicesThatWouldBreakAChallengeStopTheStart() {
    ServerConfig.Token token = ServerConfig.DEFAULTS.auth().token();
    for (String bad : List.of("a\"b", "a\\b", "a\nb")) {
      assertThrows(IllegalArgumentException.class, () -> Authentication.from(new ServerConfig.Auth("none", bad,
          ServerConfig.DEFAULTS.auth().htpasswd(), token, Map.of(), List.of()), Clock.systemUTC()), bad);
      ServerConfig.Token badService = new ServerConfig.Token("", bad, "berth", "k.json", 300, 1, "", "");
      assertThrows(IllegalArgumentException.class, () -> Authentication.from(new ServerConfig.Auth("none", "berth",
          ServerConfig.DEFAULTS.auth().htpasswd(), badService, Map.of(), List.of()), Clock.systemUTC()), bad);
    }
  }
}
