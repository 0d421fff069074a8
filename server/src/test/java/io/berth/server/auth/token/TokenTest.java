package io.berth.server.auth.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.berth.server.auth.Access;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokens we issue verify, with exactly their grants; every kind of forged or stale token is refused. */
class TokenTest {
  static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  static final SigningKey KEY = SigningKey.generate();
  static final TokenIssuer ISSUER = new TokenIssuer(KEY, "berth", CLOCK);
  static final TokenVerifier VERIFIER = new TokenVerifier(KEY.publicKey(), "berth", "registry.local", CLOCK);
  static final List<Access> PUSH = List.of(Access.repository("team/app", "pull", "push"));

  @TempDir
  Path dir;

  static String issue(TokenIssuer issuer, String service) {
    return issuer.issue("alice", service, PUSH, Duration.ofMinutes(5));
  }

  static String refusal(String token) {
    return assertThrows(TokenVerifier.InvalidToken.class, () -> VERIFIER.verify(token)).getMessage();
  }

  @Test
  void aTokenWeIssuedGrantsExactlyItsAccess() throws Exception {
    TokenVerifier.Verified verified = VERIFIER.verify(issue(ISSUER, "registry.local"));
    assertEquals("alice", verified.subject());
    assertEquals(1, verified.access().size());
    assertEquals("repository:team/app:pull,push", verified.access().get(0).scope());
    SignedJWT jwt = SignedJWT.parse(issue(ISSUER, "registry.local"));
    assertEquals(KEY.keyId(), jwt.getHeader().getKeyID());
    JWTClaimsSet claims = jwt.getJWTClaimsSet();
    assertTrue(claims.getJWTID() != null && claims.getIssueTime() != null && claims.getNotBeforeTime() != null);
  }

  @Test
  void lifetimesAreNeverUnderSixtySeconds() throws Exception {
    SignedJWT jwt = SignedJWT.parse(ISSUER.issue(null, "registry.local", List.of(), Duration.ofSeconds(5)));
    assertEquals(NOW.plusSeconds(60), jwt.getJWTClaimsSet().getExpirationTime().toInstant());
    assertEquals("", jwt.getJWTClaimsSet().getSubject(), "anonymous");
  }

  @Test
  void staleAndEarlyTokensAreRefused() {
    TokenIssuer lastHour = new TokenIssuer(KEY, "berth", Clock.fixed(NOW.minus(Duration.ofHours(1)), ZoneOffset.UTC));
    assertEquals("token expired", refusal(issue(lastHour, "registry.local")));
    TokenIssuer nextHour = new TokenIssuer(KEY, "berth", Clock.fixed(NOW.plus(Duration.ofHours(1)), ZoneOffset.UTC));
    assertEquals("token not valid yet", refusal(issue(nextHour, "registry.local")));
  }

  @Test
  void tokensForAnotherServiceOrFromAnotherIssuerAreRefused() {
    assertEquals("token for another service", refusal(issue(ISSUER, "other.registry")));
    assertEquals("token from another issuer", refusal(issue(new TokenIssuer(KEY, "evil", CLOCK), "registry.local")));
    assertEquals("bad signature", refusal(issue(new TokenIssuer(SigningKey.generate(), "berth", CLOCK), "registry.local")));
  }

  @Test
  void forgedTokensAreRefused() throws Exception {
    String token = issue(ISSUER, "registry.local");
    String[] parts = token.split("\\.");
    // More access, same signature.
    String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
        .replace("team/app", "team/other");
    String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
        .encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
    assertEquals("bad signature", refusal(tampered));

    JWTClaimsSet anyClaims = SignedJWT.parse(token).getJWTClaimsSet();
    refusal(new PlainJWT(anyClaims).serialize()); // alg: none: not even parsed as a signed token

    // HMAC keyed with the public key, the classic algorithm-confusion forgery.
    SignedJWT hmac = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), anyClaims);
    hmac.sign(new MACSigner(KEY.publicKey().toJSONString().getBytes(StandardCharsets.UTF_8)));
    assertTrue(refusal(hmac.serialize()).contains("algorithm"), "HS256");

    for (String garbage : List.of("", "abc", "a.b.c", "x".repeat(10_000), parts[0] + "." + parts[1] + ".")) {
      refusal(garbage);
    }
  }

  @Test
  void keyIdsAreLibtrustFingerprints() {
    // Python: base64.b32encode(sha256(b"berth").digest()[:30]) in groups of four, as libtrust's keyIDEncode.
    assertEquals("LQXW:JR7S:D36V:7NPD:22SJ:TK7F:5LFS:JCXG:63YA:QU4H:ZGQF:NUIO",
        SigningKey.libtrustKeyId("berth".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void theKeyIsMadeOnceAndKeptPrivate() throws Exception {
    Path file = dir.resolve("keys/token.jwk");
    SigningKey made = SigningKey.loadOrCreate(file);
    SigningKey again = SigningKey.loadOrCreate(file);
    assertEquals(made.keyId(), again.keyId());
    assertEquals(made.keyId(), SigningKey.libtrustKeyId(made.publicKey().toECPublicKey().getEncoded()),
        "kid is libtrust's fingerprint of the public key");
    assertEquals(Set.of(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE), Files.getPosixFilePermissions(file));
    TokenVerifier verifier = new TokenVerifier(again.publicKey(), "berth", "registry.local", CLOCK);
    verifier.verify(new TokenIssuer(made, "berth", CLOCK).issue("bob", "registry.local", List.of(), Duration.ofMinutes(1)));
  }
}
