package io.berth.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.berth.server.config.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * A registry in the built-in token mode: its token endpoint at {@code /auth/token}, ES256 tokens for service
 * {@value #SERVICE} from issuer {@value #ISSUER}. The signing key is made by the test (the server loads it), so
 * tests can also mint tokens the server would have signed, with whatever claims a forger would try.
 *
 * <p>The rules: alice may do everything on {@code team/*}, push on {@code public/*} and see the catalog; bob
 * (group readers) may pull {@code team/*}; carol may pull and push {@code scratch/*}; anyone may pull
 * {@code public/*}.
 */
abstract class TokenTestBase extends ServerTestBase {
  static final String SERVICE = "registry.test";
  static final String ISSUER = "berth-test";
  static final String ALICE = "alice";
  static final String BOB = "bob";
  static final String CAROL = "carol";
  static final Map<String, String> PASSWORDS = Map.of(ALICE, "alice-pw", BOB, "bob-pw", CAROL, "carol-pw");
  static final int LIFETIME = 300;

  /** The htpasswd lines, hashed once for the whole run (bcrypt cost 10 is slow on purpose). */
  private static volatile List<String> htpasswdLines;

  Path htpasswd;
  Path keyFile;
  /** The server's signing key, private half included. */
  ECKey serverKey;

  @Override
  ServerConfig config() {
    htpasswd = temp.resolve("htpasswd");
    keyFile = temp.resolve("token-key.json");
    try {
      if (!Files.exists(htpasswd)) {
        Files.write(htpasswd, htpasswdLines());
      }
      if (!Files.exists(keyFile)) {
        serverKey = new ECKeyGenerator(Curve.P_256).keyIDFromThumbprint(true).generate();
        Files.writeString(keyFile, serverKey.toJSONString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    ServerConfig.Token token = new ServerConfig.Token("", SERVICE, ISSUER, keyFile.toString(), LIFETIME, 720, "", "");
    return super.config().withAuth(new ServerConfig.Auth("token", "Berth test",
        new ServerConfig.HtpasswdFile(htpasswd.toString()), token, Map.of("readers", List.of(BOB)), List.of(
            new ServerConfig.AccessRule("team/*", false, List.of(ALICE), List.of(), false,
                List.of("pull", "push", "delete")),
            new ServerConfig.AccessRule("team/*", false, List.of(), List.of("readers"), false, List.of("pull")),
            new ServerConfig.AccessRule("scratch/*", false, List.of(CAROL), List.of(), false, List.of("pull", "push")),
            new ServerConfig.AccessRule("public/*", false, List.of(), List.of(), true, List.of("pull")),
            new ServerConfig.AccessRule("public/*", false, List.of(ALICE), List.of(), false, List.of("push")),
            new ServerConfig.AccessRule(null, true, List.of(ALICE), List.of(), false, List.of()))));
  }

  private static List<String> htpasswdLines() {
    if (htpasswdLines == null) {
      List<String> lines = new ArrayList<>();
      for (String user : List.of(ALICE, BOB, CAROL)) {
        lines.add(user + ":" + BCrypt.with(BCrypt.Version.VERSION_2Y).hashToString(10, PASSWORDS.get(user).toCharArray()));
      }
      htpasswdLines = List.copyOf(lines);
    }
    return htpasswdLines;
  }

  static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(UTF_8));
  }

  static String encode(String s) {
    return URLEncoder.encode(s, UTF_8);
  }

  /** The realm our challenges name: the token endpoint at the address the client used. */
  String realm() {
    return "http://127.0.0.1:" + port() + "/auth/token";
  }

  /** The exact challenge for a request that needs {@code scope} (null: none), with {@code error} (null: none). */
  String challenge(String scope, String error) {
    return "Bearer realm=\"" + realm() + "\",service=\"" + SERVICE + "\""
        + (scope == null ? "" : ",scope=\"" + scope + "\"") + (error == null ? "" : ",error=\"" + error + "\"");
  }

  // ---- the token endpoint ----

  /** GET /auth/token for {@code user} (null: anonymous) with these scopes. */
  HttpResponse<byte[]> tokenRequest(String user, String password, String query, String... scopes) {
    StringBuilder path = new StringBuilder("/auth/token?service=" + SERVICE);
    for (String scope : scopes) {
      path.append("&scope=").append(encode(scope));
    }
    if (query != null) {
      path.append('&').append(query);
    }
    return user == null ? request("GET", path.toString(), null)
        : request("GET", path.toString(), null, "Authorization", basic(user, password));
  }

  /** An access token from the endpoint for {@code user} (its own password; null: anonymous). */
  String token(String user, String... scopes) {
    HttpResponse<byte[]> r = tokenRequest(user, user == null ? null : PASSWORDS.get(user), null, scopes);
    assertEquals(200, r.statusCode(), () -> "token for " + user + ": " + text(r));
    return json(r.body()).get("token").asText();
  }

  /** POST /auth/token with a form. */
  HttpResponse<byte[]> tokenPost(Map<String, String> form) {
    StringBuilder body = new StringBuilder();
    form.forEach((k, v) -> body.append(body.isEmpty() ? "" : "&").append(encode(k)).append('=').append(encode(v)));
    return request("POST", "/auth/token", body.toString().getBytes(UTF_8),
        "Content-Type", "application/x-www-form-urlencoded");
  }

  static Map<String, String> form(String... keysAndValues) {
    Map<String, String> form = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      form.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return form;
  }

  /** The JWT's {@code access} claim as "type:name" → sorted actions. */
  static Map<String, Set<String>> accessOf(String token) {
    try {
      Map<String, Set<String>> access = new TreeMap<>();
      Object raw = SignedJWT.parse(token).getJWTClaimsSet().getClaim("access");
      for (Object entry : (List<?>) raw) {
        Map<?, ?> m = (Map<?, ?>) entry;
        String key = m.get("type") + ":" + m.get("name");
        assertTrue(access.put(key, new TreeSet<>(stringList(m.get("actions")))) == null, "one entry per resource: " + raw);
      }
      return access;
    } catch (java.text.ParseException e) {
      throw new IllegalStateException("not a JWT: " + token, e);
    }
  }

  private static List<String> stringList(Object actions) {
    return ((List<?>) actions).stream().map(String.class::cast).toList();
  }

  // ---- minting tokens as the server (or a forger) would ----

  /** Valid claims for {@code subject} from now on, granting {@code access} (type, name, actions...). */
  static JWTClaimsSet.Builder claims(String subject, List<Map<String, Object>> access) {
    Instant now = Instant.now();
    return new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .subject(subject)
        .audience(SERVICE)
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(now.plus(Duration.ofMinutes(5))))
        .jwtID(UUID.randomUUID().toString())
        .claim("access", access);
  }

  static Map<String, Object> grant(String type, String name, String... actions) {
    return Map.of("type", type, "name", name, "actions", List.of(actions));
  }

  static Map<String, Object> repo(String name, String... actions) {
    return grant("repository", name, actions);
  }

  /** Signs {@code claims} ES256 with {@code key}, its kid in the header. */
  static String sign(ECKey key, JWTClaimsSet claims) {
    SignedJWT jwt = new SignedJWT(
        new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).keyID(key.getKeyID()).build(), claims);
    try {
      jwt.sign(new ECDSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return jwt.serialize();
  }

  /** A token the server would accept, granting {@code access}. */
  String mint(List<Map<String, Object>> access) {
    return sign(serverKey, claims(ALICE, access).build());
  }

  // ---- requests with a token ----

  HttpResponse<byte[]> as(String token, String method, String path, byte[] body, String... headers) {
    List<String> all = new ArrayList<>(List.of(headers));
    all.add("Authorization");
    all.add("Bearer " + token);
    return request(method, path, body, all.toArray(String[]::new));
  }

  /** A monolithic blob upload (POST ?digest= with the body) with {@code token}; returns the digest. */
  String pushBlob(String token, String repo, byte[] content) {
    String digest = sha256(content);
    HttpResponse<byte[]> r = as(token, "POST", "/v2/" + repo + "/blobs/uploads/?digest=" + digest, content,
        "Content-Type", "application/octet-stream");
    assertEquals(201, r.statusCode(), () -> "push blob: " + text(r));
    return digest;
  }

  /** A blob upload in three steps (POST, PATCH, PUT), each request carrying {@code token}. */
  String pushBlobInSession(String token, String repo, byte[] content) {
    HttpResponse<byte[]> start = as(token, "POST", "/v2/" + repo + "/blobs/uploads/", null);
    assertEquals(202, start.statusCode(), () -> "start upload: " + text(start));
    String location = URI.create(start.headers().firstValue("Location").orElseThrow()).getPath();
    HttpResponse<byte[]> patch = as(token, "PATCH", location, content, "Content-Type", "application/octet-stream");
    assertEquals(202, patch.statusCode(), () -> "patch: " + text(patch));
    String digest = sha256(content);
    HttpResponse<byte[]> put = as(token, "PUT", location + "?digest=" + digest, null);
    assertEquals(201, put.statusCode(), () -> "complete: " + text(put));
    return digest;
  }

  /** A config blob, a layer and a manifest naming them, pushed under {@code tag}; returns the manifest. */
  byte[] pushImage(String token, String repo, String tag, String seed) {
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":\"" + seed + "\"}").getBytes(UTF_8);
    byte[] layer = randomBytes(2000, seed.hashCode());
    byte[] manifest = ociManifest(pushBlob(token, repo, config), config.length,
        pushBlobInSession(token, repo, layer), layer.length);
    HttpResponse<byte[]> put = as(token, "PUT", "/v2/" + repo + "/manifests/" + tag, manifest,
        "Content-Type", OCI_MANIFEST);
    assertEquals(201, put.statusCode(), () -> "put manifest: " + text(put));
    return manifest;
  }

  /** The tags of {@code repo}, read with {@code token}. */
  String tags(String token, String repo) {
    HttpResponse<byte[]> r = as(token, "GET", "/v2/" + repo + "/tags/list", null);
    assertEquals(200, r.statusCode(), () -> "tags: " + text(r));
    JsonNode tags = json(r.body()).get("tags");
    return tags == null ? "null" : tags.toString();
  }

  /** A 401 with exactly this challenge (and, unless HEAD, the spec's UNAUTHORIZED body). */
  void assertChallenged(HttpResponse<byte[]> r, String scope, String error) {
    String what = r.request().method() + " " + r.uri().getPath();
    if (r.request().method().equals("HEAD")) {
      assertEquals(401, r.statusCode(), what);
    } else {
      assertError(401, "UNAUTHORIZED", r);
    }
    assertEquals(challenge(scope, error), r.headers().firstValue("WWW-Authenticate").orElse(null), what);
  }
}
