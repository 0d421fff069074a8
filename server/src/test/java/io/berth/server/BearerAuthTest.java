package io.berth.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The registry side of token mode: the exact challenge of every endpoint when no token is sent, insufficient
 * scope when a valid token grants too little, and every kind of stale, misdirected or forged token refused as
 * invalid, malformed {@code Authorization} headers included. A refused request changes nothing on disk.
 */
class BearerAuthTest extends TokenTestBase {
  static final String DIGEST = "sha256:" + "ab".repeat(32);

  @Test
  void everyEndpointChallengesARequestWithoutATokenWithTheScopeItNeeds() {
    // the very first request of this server: a blob HEAD, as a client that never pinged /v2/ sends
    assertChallenged(head("/v2/team/app/blobs/" + DIGEST), "repository:team/app:pull", null);
    assertChallenged(get("/v2/"), null, null);
    assertChallenged(head("/v2/"), null, null);
    Map<String, String> before = snapshot();
    String pull = "repository:team/app:pull";
    String push = "repository:team/app:pull,push";
    String delete = "repository:team/app:delete";
    byte[] blob = randomBytes(100, 1);
    Object[][] cases = {
        {"GET", "/v2/team/app/blobs/" + DIGEST, pull},
        {"GET", "/v2/team/app/manifests/v1", pull},
        {"HEAD", "/v2/team/app/manifests/v1", pull},
        {"PUT", "/v2/team/app/manifests/v1", push},
        {"POST", "/v2/team/app/blobs/uploads/", push},
        {"POST", "/v2/team/app/blobs/uploads/?digest=" + sha256(blob), push},
        {"PATCH", "/v2/team/app/blobs/uploads/0a1b2c3d", push},
        {"PUT", "/v2/team/app/blobs/uploads/0a1b2c3d?digest=" + DIGEST, push},
        {"GET", "/v2/team/app/blobs/uploads/0a1b2c3d", pull},
        {"DELETE", "/v2/team/app/blobs/uploads/0a1b2c3d", delete},
        {"DELETE", "/v2/team/app/manifests/" + DIGEST, delete},
        {"DELETE", "/v2/team/app/blobs/" + DIGEST, delete},
        {"GET", "/v2/team/app/tags/list", pull},
        {"GET", "/v2/team/app/referrers/" + DIGEST, pull},
        {"GET", "/v2/_catalog", "registry:catalog:*"},
        {"GET", "/v2/public/base/manifests/latest", "repository:public/base:pull"}, // anonymous pull needs a token too
    };
    for (Object[] c : cases) {
      String method = (String) c[0];
      byte[] body = method.equals("PUT") || method.equals("PATCH") || method.equals("POST") ? blob : null;
      HttpResponse<byte[]> r = method.equals("HEAD") ? head((String) c[1]) : request(method, (String) c[1], body);
      assertChallenged(r, (String) c[2], null);
    }
    assertEquals(before, snapshot(), "refused requests stored nothing");
  }

  @Test
  void theRealmFollowsTheHostHeaderButNeverEchoesOneThatIsNotAHost() throws IOException {
    try (RawHttp raw = new RawHttp(port())) {
      RawHttp.Response r = raw.send("GET /v2/ HTTP/1.1\r\nHost: registry.example:5443\r\n\r\n").read();
      assertEquals("Bearer realm=\"http://registry.example:5443/auth/token\",service=\"" + SERVICE + "\"",
          r.header("WWW-Authenticate"));
      r = raw.send("GET /v2/ HTTP/1.1\r\nHost: evil\",error=\"x\r\n\r\n").read();
      assertEquals(challenge(null, null), r.header("WWW-Authenticate"), "a quote is no host: our own address");
    }
  }

  /** A path's name goes into the challenge's scope: one that is no repository name is a 400, and no challenge. */
  @Test
  void aNameThatIsNoRepositoryNameIsA400BeforeAnyChallenge() throws IOException {
    for (String path : List.of("/v2/a\",error=\"x/tags/list", "/v2/Team/App/manifests/latest",
        "/v2/team/app\"/blobs/" + DIGEST, "/v2/te\u00e9m/app/tags/list")) {
      try (RawHttp raw = new RawHttp(port())) {
        RawHttp.Response r = raw.send(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(ISO_8859_1)).read();
        assertError(400, "NAME_INVALID", r);
        assertNull(r.header("WWW-Authenticate"), path);
      }
    }
  }

  @Test
  void aValidTokenThatGrantsTooLittleGetsInsufficientScopeAndChangesNothing() {
    String alice = token(ALICE, "repository:team/app:pull,push");
    byte[] manifest = pushImage(alice, "team/app", "v1", "one");
    HttpResponse<byte[]> start = as(alice, "POST", "/v2/team/app/blobs/uploads/", null);
    String upload = java.net.URI.create(start.headers().firstValue("Location").orElseThrow()).getPath();
    String bob = token(BOB, "repository:team/app:pull,push,delete", "registry:catalog:*");
    assertEquals(Map.of("repository:team/app", java.util.Set.of("pull")), accessOf(bob));
    assertEquals(200, as(bob, "GET", "/v2/team/app/manifests/v1", null).statusCode(), "bob may pull");
    Map<String, String> before = snapshot();

    String push = "repository:team/app:pull,push";
    byte[] other = randomBytes(300, 2);
    assertChallenged(as(bob, "PUT", "/v2/team/app/manifests/v2", manifest, "Content-Type", OCI_MANIFEST), push,
        "insufficient_scope");
    assertChallenged(as(bob, "POST", "/v2/team/app/blobs/uploads/", null), push, "insufficient_scope");
    assertChallenged(as(bob, "POST", "/v2/team/app/blobs/uploads/?digest=" + sha256(other), other), push,
        "insufficient_scope");
    assertChallenged(as(bob, "PATCH", upload, other), push, "insufficient_scope");
    assertChallenged(as(bob, "DELETE", "/v2/team/app/manifests/" + sha256(manifest), null),
        "repository:team/app:delete", "insufficient_scope");
    assertChallenged(as(alice, "DELETE", "/v2/team/app/manifests/v1", null), "repository:team/app:delete",
        "insufficient_scope"); // pull and push, but no delete asked for
    assertChallenged(as(bob, "GET", "/v2/_catalog", null), "registry:catalog:*", "insufficient_scope");

    // tokens for other resources: another repository, a name that merely starts alike, a pattern taken literally
    String app = "repository:team/app:pull";
    for (List<Map<String, Object>> access : List.of(
        List.of(repo("team/other", "pull", "push", "delete")),
        List.of(repo("team/app2", "pull"), repo("team/ap", "pull"), repo("team/app/sub", "pull")),
        List.of(repo("team/*", "pull", "push", "delete")), List.of(repo("*", "*")),
        List.of(grant("registry", "team/app", "pull")), List.of(grant("registry", "catalog", "*")),
        List.of(repo("team/app")), List.of(repo("team/app", "PULL", "push "))) ) {
      String token = mint(access);
      assertChallenged(as(token, "GET", "/v2/team/app/manifests/v1", null), app, "insufficient_scope");
      assertChallenged(as(token, "PUT", "/v2/team/app/manifests/v2", manifest, "Content-Type", OCI_MANIFEST), push,
          "insufficient_scope");
    }
    assertEquals(before, snapshot(), "refused requests changed nothing");
    assertEquals("[\"v1\"]", tags(bob, "team/app"));
    assertEquals(200, as(mint(List.of(repo("team/app", "*"))), "GET", "/v2/team/app/tags/list", null).statusCode(),
        "a minted token is let in when it grants enough: the refusals above are about the grant");
  }

  @Test
  void staleMisdirectedAndForgedTokensAreRefusedAsInvalid() throws Exception {
    String alice = token(ALICE, "repository:team/app:pull,push", "repository:team/other:pull,push");
    pushImage(alice, "team/app", "v1", "one");
    byte[] manifest = pushImage(alice, "team/other", "v1", "two"); // not in team/app: a PUT would be a change
    String bobPull = token(BOB, "repository:team/app:pull");
    List<Map<String, Object>> all = List.of(repo("team/app", "pull", "push", "delete"));
    Instant now = Instant.now();
    ECKey attacker = new ECKeyGenerator(Curve.P_256).keyID(serverKey.getKeyID()).generate();
    ECKey p384 = new ECKeyGenerator(Curve.P_384).generate();
    RSAKey rsa = new RSAKeyGenerator(2048).generate();
    JWTClaimsSet valid = claims(ALICE, all).build();

    Map<String, String> forged = new LinkedHashMap<>(); // "what|why it is refused" -> token
    forged.put("expired|expired", sign(serverKey, claims(ALICE, all).issueTime(Date.from(now.minusSeconds(900)))
        .notBeforeTime(Date.from(now.minusSeconds(900))).expirationTime(Date.from(now.minusSeconds(300))).build()));
    forged.put("not yet valid|not valid yet", sign(serverKey, claims(ALICE, all).notBeforeTime(Date.from(now.plusSeconds(300)))
        .expirationTime(Date.from(now.plusSeconds(900))).build()));
    forged.put("no expiry|expired", sign(serverKey, claims(ALICE, all).expirationTime(null).build()));
    forged.put("another issuer|another issuer", sign(serverKey, claims(ALICE, all).issuer("someone-else").build()));
    forged.put("no issuer|another issuer", sign(serverKey, claims(ALICE, all).issuer(null).build()));
    forged.put("another audience|another service", sign(serverKey, claims(ALICE, all).audience("other.registry").build()));
    forged.put("no audience|another service", sign(serverKey, claims(ALICE, all).audience((String) null).build()));
    String[] parts = bobPull.split("\\.");
    String payload = new String(Base64.getUrlDecoder().decode(parts[1]), UTF_8);
    assertTrue(payload.contains("[\"pull\"]"), payload);
    forged.put("tampered access|bad signature", parts[0] + "." + b64(payload.replace("[\"pull\"]", "[\"pull\",\"push\",\"delete\"]"))
        + "." + parts[2]);
    forged.put("tampered subject|bad signature", parts[0] + "." + b64(payload.replace("\"bob\"", "\"alice\"")) + "." + parts[2]);
    forged.put("signature stripped|malformed", parts[0] + "." + parts[1] + ".");
    forged.put("alg none|malformed", new PlainJWT(valid).serialize());
    forged.put("alg none with a signature|malformed", b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + parts[1] + "." + parts[2]);
    forged.put("alg None|malformed", b64("{\"alg\":\"None\"}") + "." + b64(valid.toString()) + ".");
    byte[] der = serverKey.toECPublicKey().getEncoded();
    String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(ISO_8859_1)).encodeToString(der)
        + "\n-----END PUBLIC KEY-----\n";
    forged.put("HS256 keyed with the public JWK|algorithm HS256", hmac(serverKey.toPublicJWK().toJSONString().getBytes(UTF_8), valid));
    forged.put("HS256 keyed with the public key's DER|algorithm HS256", hmac(pad(der), valid));
    forged.put("HS256 keyed with the public key's PEM|algorithm HS256", hmac(pem.getBytes(UTF_8), valid));
    forged.put("HS512 keyed with the public JWK|algorithm HS512", hmac(JWSAlgorithm.HS512,
        pad64(serverKey.toPublicJWK().toJSONString().getBytes(UTF_8)), valid));
    forged.put("another EC key, our kid|bad signature", sign(attacker, valid));
    SignedJWT embedded = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT)
        .jwk(attacker.toPublicJWK()).keyID(serverKey.getKeyID()).build(), valid);
    embedded.sign(new ECDSASigner(attacker));
    forged.put("another EC key embedded as jwk|bad signature", embedded.serialize());
    SignedJWT es384 = new SignedJWT(new JWSHeader(JWSAlgorithm.ES384), valid);
    es384.sign(new ECDSASigner(p384));
    forged.put("ES384 with another key|bad signature", es384.serialize());
    SignedJWT rs256 = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).jwk(rsa.toPublicJWK()).build(), valid);
    rs256.sign(new RSASSASigner(rsa));
    forged.put("RS256 with another key|bad signature", rs256.serialize());
    forged.put("a refresh token|not an access token", json(tokenRequest(ALICE, "alice-pw", "offline_token=true").body())
        .get("refresh_token").asText());
    forged.put("access claim not a list|malformed access claim", sign(serverKey, claims(ALICE, List.of()).claim("access", "everything").build()));
    forged.put("actions not strings|malformed access claim", sign(serverKey, claims(ALICE, List.of())
        .claim("access", List.of(Map.of("type", "repository", "name", "team/app", "actions", List.of(1, 2)))).build()));
    forged.put("access entry not an object|malformed access claim", sign(serverKey, claims(ALICE, List.of()).claim("access", List.of("x")).build()));
    forged.put("garbage|malformed", "abc");
    forged.put("three dots|malformed", "a.b.c");
    forged.put("ten kilobytes|malformed", "e".repeat(10_000));

    assertEquals(200, as(sign(serverKey, valid), "GET", "/v2/team/app/tags/list", null).statusCode(),
        "the unforged claims are let in: each refusal below is the forgery's");
    Map<String, String> before = snapshot();
    forged.forEach((whatAndWhy, token) -> {
      String what = whatAndWhy.substring(0, whatAndWhy.indexOf('|'));
      String why = whatAndWhy.substring(what.length() + 1);
      HttpResponse<byte[]> read = as(token, "GET", "/v2/team/app/tags/list", null);
      assertEquals(401, read.statusCode(), () -> what + ": " + text(read));
      assertChallenged(read, "repository:team/app:pull", "invalid_token");
      String detail = json(read.body()).get("errors").get(0).get("detail").asText();
      assertTrue(detail.contains(why), () -> what + " refused for the wrong reason: " + detail);
      assertChallenged(as(token, "PUT", "/v2/team/app/manifests/v1", manifest, "Content-Type", OCI_MANIFEST),
          "repository:team/app:pull,push", "invalid_token");
      assertChallenged(as(token, "GET", "/v2/", null), null, "invalid_token");
    });
    assertEquals(before, snapshot(), "refused requests changed nothing");
    assertEquals("[\"v1\"]", tags(bobPull, "team/app"));
  }

  static String b64(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(UTF_8));
  }

  static String hmac(byte[] secret, JWTClaimsSet claims) throws Exception {
    return hmac(JWSAlgorithm.HS256, secret, claims);
  }

  static String hmac(JWSAlgorithm alg, byte[] secret, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).type(JOSEObjectType.JWT).build(), claims);
    jwt.sign(new MACSigner(secret));
    return jwt.serialize();
  }

  /** An HMAC key is at least as long as its hash; DER of a P-256 key (91 bytes) already is. */
  static byte[] pad(byte[] key) {
    return key.length >= 32 ? key : java.util.Arrays.copyOf(key, 32);
  }

  static byte[] pad64(byte[] key) {
    return key.length >= 64 ? key : java.util.Arrays.copyOf(key, 64);
  }

  @Test
  void malformedAuthorizationHeadersAreA401AndNeverAFailure() throws IOException {
    String alice = token(ALICE, "repository:team/app:pull,push");
    pushImage(alice, "team/app", "v1", "one");
    String path = "/v2/team/app/tags/list";
    for (String header : List.of("Bearer", "Bearer ", "Bearer    ", "Token " + alice, "Bearer" + alice,
        basic(ALICE, "alice-pw"), "Basic", "Bearer " + alice + " extra", "Bearer " + alice + "x",
        "Bearer Bearer " + alice, "Negotiate abc")) {
      HttpResponse<byte[]> r = request("GET", path, null, "Authorization", header);
      assertError(401, "UNAUTHORIZED", r);
      String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
      assertEquals(challenge("repository:team/app:pull", "invalid_token"), challenge, header);
    }
    // the scheme is case-insensitive, and spaces around the token don't matter
    for (String header : List.of("bearer " + alice, "BEARER " + alice, "Bearer   " + alice)) {
      assertEquals(200, request("GET", path, null, "Authorization", header).statusCode(), header);
    }
    // a token past the verifier's limit is refused as malformed; past the header limit, the request is
    HttpResponse<byte[]> big = request("GET", path, null, "Authorization", "Bearer " + "a".repeat(12_000));
    assertChallenged(big, "repository:team/app:pull", "invalid_token");
    try (RawHttp raw = new RawHttp(port())) {
      RawHttp.Response r = raw.send("GET " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
          + "a".repeat(20_000) + "\r\n\r\n").read();
      assertError(431, "UNSUPPORTED", r);
    }
    // empty, bytes that are no ASCII, control bytes: refused, never a 500, never a stack trace
    for (String where : List.of(path, "/v2/", "/auth/token?service=" + SERVICE)) {
      for (byte[] value : List.of(bytes(""), bytes(" "), bytes("Bearer \u00ff\u00fe\u00e9\u0080"), bytes("Basic \u00c3\u00a9:\u00ff"),
          bytes("Bearer abc\u0001def"), bytes("\u00ff\u00ff"), bytes("Bearer " + alice.substring(0, 20) + "\u00e9"
          + alice.substring(20)))) {
        try (RawHttp raw = new RawHttp(port())) {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          out.write(bytes("GET " + where + " HTTP/1.1\r\nHost: x\r\nAuthorization: "));
          out.write(value);
          out.write(bytes("\r\n\r\n"));
          RawHttp.Response r = raw.send(out.toByteArray()).read();
          assertTrue(r.status() == 400 || r.status() == 401, () -> where + ": " + r);
          assertNoStackTrace(r.bodyText());
          assertFalse(r.bodyText().contains("\"token\""), r::toString);
        }
      }
    }
  }

  static byte[] bytes(String latin1) {
    return latin1.getBytes(ISO_8859_1);
  }
}
