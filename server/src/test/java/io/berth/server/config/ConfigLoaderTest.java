package io.berth.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir
  Path dir;

  @Test
  void theDefaultsAreTheEmbeddedDefault() throws IOException {
    ServerConfig c = ConfigLoader.load(null, Map.of());
    assertEquals(":5000", c.http().addr());
    assertEquals("./data", c.storage().filesystem().root());
    assertEquals(false, c.storage().delete().enabled());
  }

  @Test
  void theFileOverridesDefaultsAndTheEnvironmentOverridesTheFile() throws IOException {
    Path file = dir.resolve("config.yml");
    Files.writeString(file, """
        http:
          addr: 127.0.0.1:6000
        storage:
          filesystem:
            root: /var/lib/berth
        """);
    ServerConfig fromFile = ConfigLoader.load(file, Map.of());
    assertEquals("127.0.0.1:6000", fromFile.http().addr());
    assertEquals("/var/lib/berth", fromFile.storage().filesystem().root());
    assertEquals(60, fromFile.http().idletimeout(), "unset options keep their defaults");

    ServerConfig withEnv = ConfigLoader.load(file, Map.of(
        "BERTH_HTTP_ADDR", "127.0.0.1:7000",
        "BERTH_STORAGE_DELETE_ENABLED", "true",
        "BERTH_HTTP_IDLETIMEOUT", "5",
        "PATH", "/usr/bin"));
    assertEquals("127.0.0.1:7000", withEnv.http().addr());
    assertEquals(true, withEnv.storage().delete().enabled());
    assertEquals(5, withEnv.http().idletimeout());
    assertEquals("/var/lib/berth", withEnv.storage().filesystem().root());
  }

  @Test
  void unknownOptionsAreErrorsNotSilentlyIgnored() throws IOException {
    Path file = dir.resolve("typo.yml");
    Files.writeString(file, "storage:\n  filesytem:\n    root: /x\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(file, Map.of()));
    assertTrue(e.getMessage().contains("storage.filesytem"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(null, Map.of("BERTH_HTTP_ADR", "x")));
    assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(null, Map.of("BERTH_STORAGE", "x")));
  }

  @Test
  void badValuesAreErrors() {
    assertThrows(Exception.class, () -> ConfigLoader.load(null, Map.of("BERTH_HTTP_IDLETIMEOUT", "soon")));
  }

  @Test
  void theConfigEnvironmentVariableIsNotAnOption() throws IOException {
    ConfigLoader.load(null, Map.of("BERTH_CONFIG", "/etc/berth.yml"));
  }

  @Test
  void accessRulesAndGroupsComeFromTheFile() throws IOException {
    Path file = dir.resolve("auth.yml");
    Files.writeString(file, """
        auth:
          mode: htpasswd
          groups:
            devs: [bob, carol]
          access:
            - {repositories: "team/*", users: [alice], actions: [pull, push]}
            - {repositories: "public/*", anonymous: true, actions: [pull]}
            - {catalog: true, groups: [devs]}
        """);
    ServerConfig.Auth auth = ConfigLoader.load(file, Map.of("BERTH_AUTH_HTPASSWD_PATH", "/etc/berth/htpasswd")).auth();
    assertEquals("htpasswd", auth.mode());
    assertEquals("berth", auth.realm(), "unset options keep their defaults");
    assertEquals("/etc/berth/htpasswd", auth.htpasswd().path());
    assertEquals(java.util.List.of("bob", "carol"), auth.groups().get("devs"));
    assertEquals(3, auth.access().size());
    assertEquals(new ServerConfig.AccessRule("public/*", false, java.util.List.of(), java.util.List.of(), true,
        java.util.List.of("pull")), auth.access().get(1));
    assertTrue(auth.access().get(2).catalog());
  }

  @Test
  void tlsAndThePlainListenerComeFromTheFileAndTheEnvironment() throws IOException {
    ServerConfig.Http defaults = ConfigLoader.load(null, Map.of()).http();
    assertEquals(new ServerConfig.Tls("", "", "tls1.2"), defaults.tls());
    assertEquals(false, defaults.tls().configured(), "no TLS by default");
    assertEquals("", defaults.plainaddr());

    Path file = dir.resolve("tls.yml");
    Files.writeString(file, """
        http:
          addr: :5443
          plainaddr: 127.0.0.1:5000
          tls:
            certificate: /etc/berth/berth.crt
            key: /etc/berth/berth.key
        """);
    ServerConfig.Http fromFile = ConfigLoader.load(file, Map.of()).http();
    assertEquals(new ServerConfig.Tls("/etc/berth/berth.crt", "/etc/berth/berth.key", "tls1.2"), fromFile.tls());
    assertEquals("127.0.0.1:5000", fromFile.plainaddr());

    ServerConfig.Http fromEnv = ConfigLoader.load(null, Map.of(
        "BERTH_HTTP_TLS_CERTIFICATE", "/run/secrets/crt",
        "BERTH_HTTP_TLS_KEY", "/run/secrets/key",
        "BERTH_HTTP_TLS_MINIMUMVERSION", "tls1.3",
        "BERTH_HTTP_PLAINADDR", "127.0.0.1:5001")).http();
    assertEquals(new ServerConfig.Tls("/run/secrets/crt", "/run/secrets/key", "tls1.3"), fromEnv.tls());
    assertEquals("127.0.0.1:5001", fromEnv.plainaddr());
    assertTrue(fromEnv.tls().configured());
  }

  @Test
  void deployConfigYmlListsEveryOptionWithItsDefault() throws IOException {
    var yaml = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper();
    assertEquals(yaml.valueToTree(ServerConfig.DEFAULTS), yaml.readTree(Path.of("../deploy/config.yml").toFile()),
        "deploy/config.yml and ServerConfig.DEFAULTS differ");
  }
}
