package io.berth.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.berth.server.auth.Htpasswd;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Passwords never reach the log, even at debug level. The server runs in its own JVM (the test classpath, its
 * real {@code Main}), because slf4j-simple fixes log levels once per JVM: this one's are set by earlier tests.
 * Its whole output is searched for the passwords, in clear and as they travel (base64 in {@code Basic}, URL-encoded
 * in a form).
 */
class PasswordsNotLoggedTest {
  static final String PASSWORD = "Pw-7f3kZq9-right";
  static final String WRONG = "Wr0ng-x9QeTt-guess";

  @TempDir
  Path temp;
  Process process;

  @AfterEach
  void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  @Test
  void passwordsRightOrWrongAreNeverLoggedAtDebugLevel() throws Exception {
    Path htpasswd = temp.resolve("htpasswd");
    Htpasswd.setPassword(htpasswd, "alice", PASSWORD.toCharArray());
    Path config = Files.writeString(temp.resolve("config.yml"), """
        http: {addr: "127.0.0.1:0"}
        storage: {filesystem: {root: "%s"}}
        log: {level: debug}
        auth:
          mode: token
          htpasswd: {path: "%s"}
          token: {service: registry.test, issuer: berth-test, key: "%s"}
          access:
            - {repositories: "team/*", users: [alice], actions: [pull, push]}
        """.formatted(temp.resolve("data"), htpasswd, temp.resolve("key.json")));
    Path log = temp.resolve("berth.log");
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder builder = new ProcessBuilder(java, "-cp", classpath,
        "-Dorg.slf4j.simpleLogger.log.io.netty=debug", // Netty's own debug output too
        Main.class.getName(), "--config", config.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("BERTH_")); // Berth refuses unknown ones
    process = builder.start();
    int port = awaitPort(log);

    String base = "http://127.0.0.1:" + port;
    String tokenQuery = "/auth/token?service=registry.test&scope=repository:team/app:pull";
    try (HttpClient http = HttpClient.newHttpClient()) {
      assertEquals(200, send(http, HttpRequest.newBuilder(URI.create(base + tokenQuery))
          .header("Authorization", basic("alice", PASSWORD))));
      assertEquals(401, send(http, HttpRequest.newBuilder(URI.create(base + tokenQuery))
          .header("Authorization", basic("alice", WRONG))));
      assertEquals(401, send(http, HttpRequest.newBuilder(URI.create(base + tokenQuery))
          .header("Authorization", basic("mallory", PASSWORD))));
      for (String password : List.of(PASSWORD, WRONG)) {
        String form = "grant_type=password&username=alice&service=registry.test&access_type=offline&password="
            + URLEncoder.encode(password, UTF_8);
        assertEquals(password.equals(PASSWORD) ? 200 : 401, send(http, HttpRequest.newBuilder(URI.create(base
            + "/auth/token")).header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form))));
      }
      // a password where token mode wants a token
      assertEquals(401, send(http, HttpRequest.newBuilder(URI.create(base + "/v2/team/app/tags/list"))
          .header("Authorization", basic("alice", PASSWORD))));
      assertEquals(400, send(http, HttpRequest.newBuilder(URI.create(base + "/auth/token"))
          .header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString("grant_type=magic&password=" + PASSWORD))));
      // a form that is not properly URL-encoded (a '%' left raw): refused, and the form is not logged either
      assertEquals(400, send(http, HttpRequest.newBuilder(URI.create(base + "/auth/token"))
          .header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString("grant_type=password&username=alice&password=" + WRONG + "%zz"))));
    }
    process.destroy();
    assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the server stops");

    String output = Files.readString(log, UTF_8);
    assertTrue(output.contains("\"GET " + tokenQuery + "\" 401") && output.contains("\"POST /auth/token\" 200"),
        () -> "the debug access log was on, so the test saw what debug logs:\n" + output);
    List<String> secrets = new ArrayList<>(List.of(PASSWORD, WRONG));
    for (String password : List.of(PASSWORD, WRONG)) {
      secrets.add(basic("alice", password).substring("Basic ".length()));
      secrets.add(URLEncoder.encode(password, UTF_8));
    }
    for (String secret : secrets) {
      assertFalse(output.contains(secret), () -> "the log holds " + secret + ":\n" + output);
    }
  }

  static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(UTF_8));
  }

  static int send(HttpClient http, HttpRequest.Builder request) throws Exception {
    return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** The port from "berth listening on /127.0.0.1:PORT" in the log. */
  int awaitPort(Path log) throws Exception {
    Pattern listening = Pattern.compile("listening on /127\\.0\\.0\\.1:(\\d+) ");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      String output = Files.exists(log) ? Files.readString(log, UTF_8) : "";
      Matcher m = listening.matcher(output);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
      if (!process.isAlive()) {
        fail("the server stopped: " + output);
      }
      Thread.sleep(50);
    }
    return fail("the server never said where it listens: " + Files.readString(log, UTF_8));
  }
}
