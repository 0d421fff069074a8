package io.berth.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.server.auth.Htpasswd;
import io.berth.server.config.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The htpasswd mode end to end over HTTP: sign-in, the challenge, the rules (push for some, pull for others,
 * anonymous pull on one pattern, the catalog), mounts that must not leak, and throttled guessing.
 */
class HtpasswdAuthTest extends ServerTestBase {
  static final String ALICE = "alice";
  static final String BOB = "bob";

  @Override
  ServerConfig config() {
    Path htpasswd = temp.resolve("htpasswd");
    try {
      if (!Files.exists(htpasswd)) {
        Htpasswd.setPassword(htpasswd, ALICE, "alice-pw".toCharArray());
        Htpasswd.setPassword(htpasswd, BOB, "bob-pw".toCharArray());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return super.config().withAuth(new ServerConfig.Auth("htpasswd", "Berth test", new ServerConfig.HtpasswdFile(
        htpasswd.toString()), ServerConfig.DEFAULTS.auth().token(), Map.of("readers", List.of(BOB)), List.of(
            new ServerConfig.AccessRule("team/*", false, List.of(ALICE), List.of(), false,
                List.of("pull", "push", "delete")),
            new ServerConfig.AccessRule("team/*", false, List.of(), List.of("readers"), false, List.of("pull")),
            new ServerConfig.AccessRule("public/*", false, List.of(ALICE), List.of(), true, List.of("pull")),
            new ServerConfig.AccessRule("public/*", false, List.of(ALICE), List.of(), false, List.of("push")),
            new ServerConfig.AccessRule(null, true, List.of(ALICE), List.of(), false, List.of()))));
  }

  static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(UTF_8));
  }

  HttpResponse<byte[]> as(String user, String password, String method, String path, byte[] body, String... headers) {
    List<String> all = new ArrayList<>(List.of(headers));
    if (user != null) {
      all.add("Authorization");
      all.add(basic(user, password));
    }
    return request(method, path, body, all.toArray(String[]::new));
  }

  /** Pushes a blob as alice (POST then PUT with the body); returns its digest. */
  String pushAsAlice(String repo, byte[] content) {
    HttpResponse<byte[]> start = as(ALICE, "alice-pw", "POST", "/v2/" + repo + "/blobs/uploads/", null);
    assertEquals(202, start.statusCode(), () -> text(start));
    String location = URI.create(start.headers().firstValue("Location").orElseThrow()).getPath();
    String digest = sha256(content);
    HttpResponse<byte[]> put = as(ALICE, "alice-pw", "PUT", location + "?digest=" + digest, content);
    assertEquals(201, put.statusCode(), () -> text(put));
    return digest;
  }

  @Test
  void theBaseEndpointAsksForASignInAndChecksIt() {
    HttpResponse<byte[]> anonymous = get("/v2/");
    assertError(401, "UNAUTHORIZED", anonymous);
    assertEquals("Basic realm=\"Berth test\", charset=\"UTF-8\"", anonymous.headers().firstValue("WWW-Authenticate").orElse(null));
    assertEquals(200, as(ALICE, "alice-pw", "GET", "/v2/", null).statusCode());
    assertError(401, "UNAUTHORIZED", as(ALICE, "wrong", "GET", "/v2/", null));
    assertError(401, "UNAUTHORIZED", as("mallory", "alice-pw", "GET", "/v2/", null));
    assertError(401, "UNAUTHORIZED", request("GET", "/v2/", null, "Authorization", "Basic !!!notbase64"));
    assertError(401, "UNAUTHORIZED", request("GET", "/v2/", null, "Authorization", "Bearer abc"));
  }

  @Test
  void aUserWithoutPushIsDeniedAndNothingIsStored() throws IOException {
    byte[] content = randomBytes(1000, 3);
    HttpResponse<byte[]> start = as(BOB, "bob-pw", "POST", "/v2/team/app/blobs/uploads/?digest=" + sha256(content), content);
    assertError(403, "DENIED", start);
    assertTrue(Files.notExists(root.resolve("repositories/team/app")), "nothing stored for a denied push");

    String digest = pushAsAlice("team/app", content);
    HttpResponse<byte[]> pulled = as(BOB, "bob-pw", "GET", "/v2/team/app/blobs/" + digest, null);
    assertEquals(200, pulled.statusCode(), "bob may pull");
    assertError(403, "DENIED", as(BOB, "bob-pw", "DELETE", "/v2/team/app/blobs/" + digest, null));
    assertEquals(200, as(BOB, "bob-pw", "GET", "/v2/team/app/blobs/" + digest, null).statusCode(), "still there");
  }

  @Test
  void anonymousMayPullWhereARuleSaysSoAndNowhereElse() {
    byte[] content = randomBytes(500, 4);
    String digest = pushAsAlice("public/base", content);
    pushAsAlice("team/app", content);
    assertEquals(200, get("/v2/public/base/blobs/" + digest).statusCode());
    HttpResponse<byte[]> team = get("/v2/team/app/blobs/" + digest);
    assertError(401, "UNAUTHORIZED", team);
    assertTrue(team.headers().firstValue("WWW-Authenticate").isPresent(), "a challenge, so clients sign in");
    assertError(401, "UNAUTHORIZED", request("POST", "/v2/public/base/blobs/uploads/", null));
  }

  @Test
  void theCatalogIsOnlyForThoseARuleNames() {
    pushAsAlice("team/app", randomBytes(10, 5));
    assertEquals(200, as(ALICE, "alice-pw", "GET", "/v2/_catalog", null).statusCode());
    assertError(403, "DENIED", as(BOB, "bob-pw", "GET", "/v2/_catalog", null));
    assertError(401, "UNAUTHORIZED", get("/v2/_catalog"));
  }

  @Test
  void aMountFromARepositoryTheUserCannotReadFallsBackToAnUpload() {
    byte[] content = randomBytes(700, 6);
    String digest = pushAsAlice("team/secret", content);
    // bob can't push anywhere, so give the case to alice reading from a repository nobody gave her: other/*
    HttpResponse<byte[]> mount = as(ALICE, "alice-pw", "POST",
        "/v2/public/copy/blobs/uploads/?mount=" + digest + "&from=other/hidden", null);
    assertEquals(202, mount.statusCode(), "no rule lets alice read other/*: upload instead");
    HttpResponse<byte[]> allowed = as(ALICE, "alice-pw", "POST",
        "/v2/public/copy/blobs/uploads/?mount=" + digest + "&from=team/secret", null);
    assertEquals(201, allowed.statusCode(), () -> text(allowed));
  }

  /** A verified password is remembered for a minute, but not past a change of it, nor past the user's removal. */
  @Test
  void aChangedPasswordOrARemovedUserIsRefusedAtOnce() throws IOException {
    Path file = temp.resolve("htpasswd");
    assertEquals(200, as(BOB, "bob-pw", "GET", "/v2/", null).statusCode());
    Htpasswd.setPassword(file, BOB, "bob-new".toCharArray());
    // The file is read again when its modification time changes; make sure it does, whatever the clock's tick.
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
    assertError(401, "UNAUTHORIZED", as(BOB, "bob-pw", "GET", "/v2/", null));
    assertEquals(200, as(BOB, "bob-new", "GET", "/v2/", null).statusCode());

    Files.write(file, Files.readAllLines(file).stream().filter(line -> !line.startsWith(BOB + ":")).toList());
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 20_000));
    assertError(401, "UNAUTHORIZED", as(BOB, "bob-new", "GET", "/v2/", null));
    assertEquals(200, as(ALICE, "alice-pw", "GET", "/v2/", null).statusCode());
  }

  @Test
  void repeatedWrongPasswordsAreThrottled() {
    int lastStatus = 0;
    for (int i = 0; i < 12; i++) {
      lastStatus = as(ALICE, "guess" + i, "GET", "/v2/", null).statusCode();
    }
    assertEquals(429, lastStatus);
    HttpResponse<byte[]> throttled = as(ALICE, "alice-pw", "GET", "/v2/", null);
    assertError(429, "TOOMANYREQUESTS", throttled);
    assertEquals("60", throttled.headers().firstValue("Retry-After").orElse(null));
  }
}
