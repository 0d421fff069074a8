package io.berth.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.berth.server.auth.Htpasswd;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The built-in token endpoint over HTTP: what a token says and grants (the intersection of what was asked and
 * what the rules allow, never an error for partial access), anonymous tokens, refresh tokens and their end when a
 * password changes, and every way of asking wrongly: bad credentials, malformed scopes, unknown grants, another
 * service, and password guessing (throttled to 429).
 */
class TokenEndpointTest extends TokenTestBase {
  static final String BASIC_CHALLENGE = "Basic realm=\"Berth test\", charset=\"UTF-8\"";

  @Test
  void aTokenSaysWhoItIsForAndGrantsTheIntersectionOfWhatWasAskedAndWhatIsAllowed() throws Exception {
    Instant before = Instant.now().minusSeconds(1);
    String[] scopes = {"repository:team/app:pull,push,delete", "repository:team/other:pull",
        "repository:elsewhere/x:pull", "registry:catalog:*", "unknowntype:thing:frob"};
    HttpResponse<byte[]> r = tokenRequest(BOB, "bob-pw", null, scopes);
    Instant after = Instant.now().plusSeconds(1);
    assertEquals(200, r.statusCode(), () -> text(r));
    assertEquals("no-store", r.headers().firstValue("Cache-Control").orElse(null));
    JsonNode body = json(r.body());
    String token = body.get("token").asText();
    assertEquals(token, body.get("access_token").asText());
    assertEquals(LIFETIME, body.get("expires_in").asLong());
    assertFalse(body.has("refresh_token"), "not asked for");
    Instant issuedAt = Instant.parse(body.get("issued_at").asText());
    assertTrue(!issuedAt.isBefore(before) && !issuedAt.isAfter(after), "issued_at " + issuedAt);

    SignedJWT jwt = SignedJWT.parse(token);
    assertEquals(JWSAlgorithm.ES256, jwt.getHeader().getAlgorithm());
    // libtrust's fingerprint of the key, whatever key id the file holds: what distribution's verifier looks up
    assertEquals(io.berth.server.auth.token.SigningKey.loadOrCreate(keyFile).keyId(), jwt.getHeader().getKeyID());
    assertTrue(jwt.getHeader().getKeyID().matches("([A-Z2-7]{4}:){11}[A-Z2-7]{4}"), jwt.getHeader().getKeyID());
    assertTrue(jwt.verify(new com.nimbusds.jose.crypto.ECDSAVerifier(serverKey.toPublicJWK())), "signed by the key");
    JWTClaimsSet claims = jwt.getJWTClaimsSet();
    assertEquals(ISSUER, claims.getIssuer());
    assertEquals(BOB, claims.getSubject());
    assertEquals(List.of(SERVICE), claims.getAudience());
    Instant iat = claims.getIssueTime().toInstant();
    assertTrue(!iat.isBefore(before) && !iat.isAfter(after), "iat " + iat);
    assertEquals(iat, claims.getNotBeforeTime().toInstant());
    assertEquals(iat.plusSeconds(LIFETIME), claims.getExpirationTime().toInstant());
    assertNotNull(claims.getJWTID());
    assertNull(claims.getClaim("token_use"), "an access token");
    // bob reads team/*: pull only, push and delete trimmed; elsewhere and the catalog are left out, not errors
    assertEquals(Map.of("repository:team/app", Set.of("pull"), "repository:team/other", Set.of("pull")),
        accessOf(token));

    String alice = token(ALICE, scopes);
    assertEquals(Map.of("repository:team/app", Set.of("pull", "push", "delete"),
        "repository:team/other", Set.of("pull"), "registry:catalog", Set.of("*")), accessOf(alice));
    assertNotEquals(claims.getJWTID(), SignedJWT.parse(alice).getJWTClaimsSet().getJWTID(), "jti is unique");
    assertEquals(ALICE, SignedJWT.parse(alice).getJWTClaimsSet().getSubject());
  }

  @Test
  void scopesForOneResourceAreMergedAndStarMeansEveryAction() {
    assertEquals(Map.of("repository:team/app", Set.of("pull", "push")),
        accessOf(token(ALICE, "repository:team/app:pull", "repository:team/app:push")));
    assertEquals(Map.of("repository:team/app", Set.of("pull", "push", "delete")),
        accessOf(token(ALICE, "repository:team/app:*")));
    assertEquals(Map.of("repository:team/app", Set.of("pull")), accessOf(token(BOB, "repository:team/app:*")));
    assertEquals(Map.of(), accessOf(token(CAROL, "repository:team/app:pull")), "nothing allowed: an empty grant");
    assertEquals(Map.of(), accessOf(token(ALICE)), "no scope asked: nothing granted, a token still");
  }

  @Test
  void anAnonymousTokenCarriesOnlyWhatAnyoneMayDo() throws Exception {
    HttpResponse<byte[]> r = tokenRequest(null, null, "offline_token=true", "repository:public/base:pull,push",
        "repository:team/app:pull", "registry:catalog:*");
    assertEquals(200, r.statusCode(), () -> text(r));
    JsonNode body = json(r.body());
    assertFalse(body.has("refresh_token"), "no refresh token without a sign-in");
    String token = body.get("token").asText();
    assertEquals(Map.of("repository:public/base", Set.of("pull")), accessOf(token));
    assertEquals("", SignedJWT.parse(token).getJWTClaimsSet().getSubject());
  }

  @Test
  void refreshTokensGetNewAccessTokensUntilThePasswordChangesOrTheUserGoes() throws Exception {
    HttpResponse<byte[]> viaGet = tokenRequest(ALICE, "alice-pw", "offline_token=true", "repository:team/app:pull");
    assertEquals(200, viaGet.statusCode(), () -> text(viaGet));
    String aliceRefresh = json(viaGet.body()).get("refresh_token").asText();
    JWTClaimsSet refreshClaims = SignedJWT.parse(aliceRefresh).getJWTClaimsSet();
    assertEquals("refresh", refreshClaims.getClaim("token_use"));
    assertEquals(ALICE, refreshClaims.getSubject());
    assertNull(refreshClaims.getClaim("access"), "a refresh token grants nothing itself");
    assertEquals(Map.of("repository:team/app", Set.of("pull")), accessOf(json(viaGet.body()).get("token").asText()));

    HttpResponse<byte[]> viaPost = tokenPost(form("grant_type", "password", "username", CAROL, "password", "carol-pw",
        "service", SERVICE, "access_type", "offline", "scope", "repository:scratch/a:pull repository:team/app:pull"));
    assertEquals(200, viaPost.statusCode(), () -> text(viaPost));
    assertEquals(Map.of("repository:scratch/a", Set.of("pull")), accessOf(json(viaPost.body()).get("token").asText()));
    String carolRefresh = json(viaPost.body()).get("refresh_token").asText();
    HttpResponse<byte[]> noOffline = tokenPost(form("grant_type", "password", "username", CAROL, "password",
        "carol-pw", "service", SERVICE));
    assertEquals(200, noOffline.statusCode(), () -> text(noOffline));
    assertFalse(json(noOffline.body()).has("refresh_token"), "only with access_type=offline");

    HttpResponse<byte[]> refreshed = refresh(aliceRefresh, "repository:team/app:pull,push repository:public/x:push");
    assertEquals(200, refreshed.statusCode(), () -> text(refreshed));
    assertEquals(Map.of("repository:team/app", Set.of("pull", "push"), "repository:public/x", Set.of("push")),
        accessOf(json(refreshed.body()).get("token").asText()), "the rules of today, for what is asked now");
    assertEquals(200, refresh(carolRefresh, "repository:scratch/a:push").statusCode());

    // alice gets a new password, carol is removed from the file
    Htpasswd.setPassword(htpasswd, ALICE, "alice-new-pw".toCharArray());
    List<String> lines = new ArrayList<>(Files.readAllLines(htpasswd));
    assertTrue(lines.removeIf(line -> line.startsWith(CAROL + ":")));
    Files.write(htpasswd, lines);
    Files.setLastModifiedTime(htpasswd, FileTime.from(Instant.now().plusSeconds(5))); // a distinct mtime

    for (String ended : List.of(aliceRefresh, carolRefresh)) {
      HttpResponse<byte[]> r = refresh(ended, "repository:team/app:pull");
      assertError(401, "UNAUTHORIZED", r);
      assertFalse(json(r.body()).has("token"));
    }
    // the passwords verified a moment ago are not remembered past the change
    assertError(401, "UNAUTHORIZED", tokenRequest(ALICE, "alice-pw", null, "repository:team/app:pull"));
    assertError(401, "UNAUTHORIZED", tokenPost(form("grant_type", "password", "username", CAROL, "password",
        "carol-pw", "service", SERVICE)));
    assertEquals(200, tokenRequest(ALICE, "alice-new-pw", null, "repository:team/app:pull").statusCode());
  }

  HttpResponse<byte[]> refresh(String refreshToken, String scope) {
    return tokenPost(form("grant_type", "refresh_token", "refresh_token", refreshToken, "service", SERVICE,
        "scope", scope));
  }

  @Test
  void aRefreshTokenIsNoAccessTokenAndAnAccessTokenNoRefreshToken() {
    HttpResponse<byte[]> r = tokenRequest(ALICE, "alice-pw", "offline_token=true", "repository:team/app:pull");
    String access = json(r.body()).get("token").asText();
    String refresh = json(r.body()).get("refresh_token").asText();
    assertError(404, "NAME_UNKNOWN", as(access, "GET", "/v2/team/app/tags/list", null)); // let in: nothing there
    assertChallenged(as(refresh, "GET", "/v2/team/app/tags/list", null), "repository:team/app:pull", "invalid_token");
    assertError(401, "UNAUTHORIZED", refresh(access, "repository:team/app:pull"));
    // a refresh token signed by someone else, for a real user
    String forged = sign(otherKey(), claims(ALICE, List.of()).claim("token_use", "refresh")
        .claim("credential", "0123456789abcdef01234567").build());
    assertError(401, "UNAUTHORIZED", refresh(forged, "repository:team/app:pull"));
    assertError(401, "UNAUTHORIZED", refresh("not.a.token", "repository:team/app:pull"));
  }

  static com.nimbusds.jose.jwk.ECKey otherKey() {
    try {
      return new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256).keyID("other").generate();
    } catch (com.nimbusds.jose.JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void wrongCredentialsAreA401WithABasicChallengeAndNoToken() {
    List<HttpResponse<byte[]>> refused = List.of(
        tokenRequest(ALICE, "bob-pw", null, "repository:team/app:pull"),
        tokenRequest("mallory", "alice-pw", null, "repository:team/app:pull"),
        tokenRequest(ALICE, "", null, "repository:team/app:pull"),
        request("GET", "/auth/token?service=" + SERVICE, null, "Authorization", "Basic !!!notbase64"),
        request("GET", "/auth/token?service=" + SERVICE, null, "Authorization", "Basic " +
            java.util.Base64.getEncoder().encodeToString("no-colon".getBytes(UTF_8))),
        request("GET", "/auth/token?service=" + SERVICE, null, "Authorization", "Bearer " + mint(List.of())),
        tokenPost(form("grant_type", "password", "username", ALICE, "password", "wrong", "service", SERVICE)),
        tokenPost(form("grant_type", "password", "username", "mallory", "password", "x", "service", SERVICE)));
    for (HttpResponse<byte[]> r : refused) {
      assertError(401, "UNAUTHORIZED", r);
      assertEquals(BASIC_CHALLENGE, r.headers().firstValue("WWW-Authenticate").orElse(null), () -> text(r));
      assertFalse(json(r.body()).has("token") || json(r.body()).has("access_token"), () -> text(r));
    }
  }

  @Test
  void malformedTokenRequestsAre400() {
    for (String scope : List.of("repository:team/app", "repository:Team/App:pull", ":team/app:pull",
        "repository::pull", "repository:team/../app:pull", "justaword")) {
      HttpResponse<byte[]> r = tokenRequest(null, null, null, scope);
      assertError(400, "UNSUPPORTED", r);
      assertFalse(json(r.body()).has("token"), scope);
    }
    String[] many = new String[65];
    for (int i = 0; i < many.length; i++) {
      many[i] = "repository:team/app" + i + ":pull";
    }
    assertError(400, "UNSUPPORTED", tokenRequest(null, null, null, many));
    // fewer scopes, but so long in all that the token could outgrow what a verifier reads (a form: a GET that long
    // is already refused for its request line)
    StringBuilder long40 = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      long40.append("repository:team/").append("a".repeat(100)).append(i).append(":pull ");
    }
    assertError(400, "UNSUPPORTED", tokenPost(form("grant_type", "password", "username", ALICE, "password",
        "alice-pw", "service", SERVICE, "scope", long40.toString().strip())));
    assertError(400, "UNSUPPORTED", request("GET", "/auth/token?service=other.registry&scope=repository:public/a:pull", null));
    assertError(400, "UNSUPPORTED", tokenPost(form("grant_type", "password", "username", ALICE, "password",
        "alice-pw", "service", "other.registry")));
    assertError(400, "UNSUPPORTED", tokenPost(form("grant_type", "client_credentials", "service", SERVICE)));
    assertError(400, "UNSUPPORTED", tokenPost(form("service", SERVICE, "username", ALICE, "password", "alice-pw")));
    assertError(400, "UNSUPPORTED", tokenPost(form("grant_type", "password", "username", ALICE, "service", SERVICE)));
    assertError(400, "UNSUPPORTED", tokenPost(form("grant_type", "refresh_token", "service", SERVICE)));
    // a form that is not URL-encoded properly: the client's mistake, and its message must not hold the password
    for (String body : List.of("grant_type=password&username=alice&password=alice-pw%zz",
        "grant_type=password&username=alice&password=alice-pw%", "grant_type=password&username=alice%&password=x")) {
      HttpResponse<byte[]> r = request("POST", "/auth/token", body.getBytes(UTF_8),
          "Content-Type", "application/x-www-form-urlencoded");
      assertError(400, "UNSUPPORTED", r);
      assertFalse(text(r).contains("alice-pw"), () -> text(r));
    }
    // and none of it counted as a failed sign-in
    assertEquals(200, tokenRequest(ALICE, "alice-pw", null, "repository:team/app:pull").statusCode());
  }

  @Test
  void repeatedFailedSignInsAreThrottledEvenForTheRightPasswordAfterwards() {
    for (int i = 0; i < 10; i++) {
      HttpResponse<byte[]> r = i % 2 == 0
          ? tokenRequest(ALICE, "guess" + i, null, "repository:team/app:pull")
          : tokenPost(form("grant_type", "password", "username", "nobody" + i, "password", "x", "service", SERVICE));
      assertError(401, "UNAUTHORIZED", r);
    }
    for (HttpResponse<byte[]> r : List.of(
        tokenRequest(ALICE, "guess-again", null, "repository:team/app:pull"),
        tokenRequest(ALICE, "alice-pw", null, "repository:team/app:pull"),
        tokenPost(form("grant_type", "password", "username", BOB, "password", "bob-pw", "service", SERVICE)))) {
      assertError(429, "TOOMANYREQUESTS", r);
      assertEquals("60", r.headers().firstValue("Retry-After").orElse(null));
      assertFalse(json(r.body()).has("token"));
    }
  }
}
