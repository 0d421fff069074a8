package io.berth.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.berth.server.config.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token mode with an external issuer: the registry issues nothing (no {@code /auth/token}), sends clients to the
 * configured realm, and trusts only tokens signed by the configured keys (a JWKS file) or certificates (a PEM
 * bundle, as distribution's {@code rootcertbundle}), from the configured issuer, for its service.
 */
class ExternalIssuerTest extends TokenTestBase {
  static final String REALM = "https://auth.example.test/token";
  static final String CORP = "corp-auth";

  /** The issuer's keys, published in the JWKS file: an RSA key and an EC key. */
  static RSAKey corpRsa;
  static ECKey corpEc;
  /** Keys whose certificates are in the bundle, made by keytool. */
  static PrivateKey certEcKey;
  static PrivateKey certRsaKey;
  static X509Certificate certEc;
  /** A leaf key and its chain [leaf, root], whose root (only) is in the bundle: tokens carry the chain as x5c. */
  static PrivateKey leafKey;
  static java.security.cert.Certificate[] leafChain;
  static String bundlePem;

  @TempDir
  static Path keys;

  /** Whether the server trusts the certificate bundle instead of the JWKS file. */
  boolean certificates;

  @BeforeAll
  static void makeKeys() throws Exception {
    corpRsa = new RSAKeyGenerator(2048).keyID("corp-rsa").generate();
    corpEc = new ECKeyGenerator(Curve.P_256).keyID("corp-ec").generate();
    KeyStore ec = keytool("ec", "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA");
    KeyStore rsa = keytool("rsa", "-keyalg", "RSA", "-keysize", "2048", "-sigalg", "SHA256withRSA");
    certEcKey = (PrivateKey) ec.getKey("corp", "changeit".toCharArray());
    certRsaKey = (PrivateKey) rsa.getKey("corp", "changeit".toCharArray());
    certEc = (X509Certificate) ec.getCertificate("corp");
    KeyStore chain = chainedLeaf();
    leafKey = (PrivateKey) chain.getKey("leaf", "changeit".toCharArray());
    leafChain = chain.getCertificateChain("leaf");
    bundlePem = pem(certEc) + pem((X509Certificate) rsa.getCertificate("corp"))
        + pem((X509Certificate) chain.getCertificate("root"));
  }

  /** A root CA and a leaf it signed, as a token service with a CA-issued signing certificate has. */
  static KeyStore chainedLeaf() throws Exception {
    Path store = keys.resolve("chain.p12");
    String[] common = {"-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-noprompt"};
    String[] ec = {"-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA", "-validity", "2"};
    run(common, concat(new String[] {"-genkeypair", "-alias", "root", "-dname", "CN=corp root", "-ext", "bc:c"}, ec));
    run(common, concat(new String[] {"-genkeypair", "-alias", "leaf", "-dname", "CN=corp token signer"}, ec));
    Path csr = keys.resolve("leaf.csr");
    Path cer = keys.resolve("leaf.cer");
    run(common, "-certreq", "-alias", "leaf", "-file", csr.toString());
    run(common, "-gencert", "-alias", "root", "-infile", csr.toString(), "-outfile", cer.toString(), "-validity", "2");
    run(common, "-importcert", "-alias", "leaf", "-file", cer.toString());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, "changeit".toCharArray());
    }
    return ks;
  }

  static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  static void run(String[] common, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    command.addAll(List.of(args));
    command.addAll(List.of(common));
    Process keytool = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] output = keytool.getInputStream().readAllBytes();
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0, () -> new String(output, UTF_8));
  }

  /** ES256 with the chain in the header, leaf first. */
  static String es256WithChain(PrivateKey key, java.security.cert.Certificate[] chain, JWTClaimsSet claims)
      throws Exception {
    List<com.nimbusds.jose.util.Base64> x5c = new java.util.ArrayList<>();
    for (java.security.cert.Certificate c : chain) {
      x5c.add(com.nimbusds.jose.util.Base64.encode(c.getEncoded()));
    }
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT)
        .x509CertChain(x5c).build(), claims);
    jwt.sign(new ECDSASigner((ECPrivateKey) key));
    return jwt.serialize();
  }

  /** A self-signed certificate and its key, made by the JDK's keytool, in a PKCS#12 store. */
  static KeyStore keytool(String name, String... algorithm) throws Exception {
    Path store = keys.resolve(name + ".p12");
    List<String> command = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair", "-alias", "corp",
        "-dname", "CN=" + CORP + " " + name, "-validity", "2", "-keystore", store.toString(), "-storetype", "PKCS12",
        "-storepass", "changeit", "-keypass", "changeit", "-noprompt"));
    command.addAll(List.of(algorithm));
    Process keytool = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] output = keytool.getInputStream().readAllBytes();
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0, () -> new String(output, UTF_8));
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, "changeit".toCharArray());
    }
    return ks;
  }

  static String pem(X509Certificate certificate) throws Exception {
    return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(ISO_8859_1))
        .encodeToString(certificate.getEncoded()) + "\n-----END CERTIFICATE-----\n";
  }

  @Override
  ServerConfig config() {
    Path jwks = temp.resolve("jwks.json");
    Path bundle = temp.resolve("bundle.pem");
    try {
      Files.writeString(jwks, new JWKSet(List.of(corpRsa.toPublicJWK(), corpEc.toPublicJWK())).toString());
      Files.writeString(bundle, bundlePem);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ServerConfig.Token token = new ServerConfig.Token(REALM, SERVICE, CORP, temp.resolve("never-made.json").toString(),
        300, 720, certificates ? "" : jwks.toString(), certificates ? bundle.toString() : "");
    return super.config().withAuth(new ServerConfig.Auth("token", "unused", ServerConfig.DEFAULTS.auth().htpasswd(),
        token, Map.of(), List.of()));
  }

  @Override
  String realm() {
    return REALM;
  }

  static JWTClaimsSet.Builder corpClaims(List<Map<String, Object>> access) {
    return claims("ci-bot", access).issuer(CORP);
  }

  static String rs256(PrivateKey key, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT).build(), claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  static String es256(ECPrivateKey key, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).build(), claims);
    jwt.sign(new ECDSASigner(key));
    return jwt.serialize();
  }

  @Test
  void tokensFromTheConfiguredIssuerGrantExactlyTheirAccess() throws Exception {
    List<Map<String, Object>> pushApp = List.of(repo("team/app", "pull", "push"));
    String token = rs256(corpRsa.toPrivateKey(), corpClaims(pushApp).build());
    byte[] manifest = pushImage(token, "team/app", "v1", "external");
    HttpResponse<byte[]> pulled = as(token, "GET", "/v2/team/app/manifests/v1", null);
    assertEquals(200, pulled.statusCode(), () -> text(pulled));
    assertArrayEquals(manifest, pulled.body());
    String ecToken = sign(corpEc, corpClaims(List.of(repo("team/app", "pull"))).build()); // kid corp-ec
    assertEquals("[\"v1\"]", tags(ecToken, "team/app"), "either key of the set");

    assertChallenged(as(token, "DELETE", "/v2/team/app/manifests/v1", null), "repository:team/app:delete",
        "insufficient_scope");
    assertChallenged(as(token, "GET", "/v2/team/other/tags/list", null), "repository:team/other:pull",
        "insufficient_scope");
    assertChallenged(as(ecToken, "PUT", "/v2/team/app/manifests/v2", manifest, "Content-Type", OCI_MANIFEST),
        "repository:team/app:pull,push", "insufficient_scope");
    assertChallenged(as(token, "GET", "/v2/_catalog", null), "registry:catalog:*", "insufficient_scope");
    assertFalse(Files.exists(temp.resolve("never-made.json")), "no signing key: we issue nothing");
  }

  @Test
  void challengesNameTheConfiguredRealmAndThereIsNoBuiltInTokenEndpoint() {
    assertChallenged(head("/v2/team/app/blobs/sha256:" + "cd".repeat(32)), "repository:team/app:pull", null);
    assertChallenged(get("/v2/"), null, null);
    assertEquals("Bearer realm=\"https://auth.example.test/token\",service=\"registry.test\"",
        get("/v2/").headers().firstValue("WWW-Authenticate").orElse(null));
    assertError(404, "NAME_UNKNOWN", get("/auth/token?service=" + SERVICE + "&scope=repository:team/app:pull"));
    assertError(404, "NAME_UNKNOWN", request("GET", "/auth/token?service=" + SERVICE, null, "Authorization",
        basic("ci-bot", "anything")));
    assertError(404, "NAME_UNKNOWN", tokenPost(form("grant_type", "password", "username", "a", "password", "b")));
  }

  @Test
  void tokensNotSignedByTheIssuersKeysOrNotMeantForUsAreRefused() throws Exception {
    List<Map<String, Object>> all = List.of(repo("team/app", "pull", "push", "delete"));
    JWTClaimsSet valid = corpClaims(all).build();
    RSAKey impostor = new RSAKeyGenerator(2048).keyID("corp-rsa").generate();
    assertRefused(Map.of(
        "another issuer", rs256(corpRsa.toPrivateKey(), corpClaims(all).issuer("berth-test").build()),
        "another audience", rs256(corpRsa.toPrivateKey(), corpClaims(all).audience("other.registry").build()),
        "expired", rs256(corpRsa.toPrivateKey(), corpClaims(all).expirationTime(Date.from(Instant.now()
            .minusSeconds(120))).build()),
        "another RSA key, the issuer's kid", rs256(impostor.toPrivateKey(), valid),
        "another EC key", sign(new ECKeyGenerator(Curve.P_256).keyID("corp-ec").generate(), valid),
        "a key from the certificate bundle, which is not trusted here", rs256(certRsaKey, valid),
        "alg none", new PlainJWT(valid).serialize()), valid);
    byte[] der = corpRsa.toPublicKey().getEncoded();
    String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(ISO_8859_1))
        .encodeToString(der) + "\n-----END PUBLIC KEY-----\n";
    assertRefused(Map.of(
        "HS256 keyed with the public JWK", BearerAuthTest.hmac(corpRsa.toPublicJWK().toJSONString().getBytes(UTF_8), valid),
        "HS256 keyed with the public key's DER", BearerAuthTest.hmac(der, valid),
        "HS256 keyed with the public key's PEM", BearerAuthTest.hmac(pem.getBytes(UTF_8), valid),
        "HS256 keyed with the JWKS file", BearerAuthTest.hmac(Files.readAllBytes(temp.resolve("jwks.json")), valid)),
        valid);
  }

  /** Each token is refused as invalid, for reads and writes, and changes nothing; the control token is let in. */
  void assertRefused(Map<String, String> tokens, JWTClaimsSet control) throws Exception {
    Map<String, String> before = snapshot();
    for (Map.Entry<String, String> e : new LinkedHashMap<>(tokens).entrySet()) {
      HttpResponse<byte[]> r = as(e.getValue(), "GET", "/v2/team/app/tags/list", null);
      assertEquals(401, r.statusCode(), () -> e.getKey() + ": " + text(r));
      assertChallenged(r, "repository:team/app:pull", "invalid_token");
      byte[] blob = randomBytes(100, 7);
      assertChallenged(as(e.getValue(), "POST", "/v2/team/app/blobs/uploads/?digest=" + sha256(blob), blob),
          "repository:team/app:pull,push", "invalid_token");
    }
    assertEquals(before, snapshot(), "refused requests changed nothing");
    String let = certificates ? es256((ECPrivateKey) certEcKey, control) : rs256(corpRsa.toPrivateKey(), control);
    HttpResponse<byte[]> in = as(let, "GET", "/v2/team/app/tags/list", null);
    assertTrue(in.statusCode() == 200 || in.statusCode() == 404, () -> "the control token is let in: " + text(in));
  }

  @Test
  void aCertificateBundleTrustsTheKeysOfItsCertificatesOnly() throws Exception {
    certificates = true;
    restartServer();
    List<Map<String, Object>> pushApp = List.of(repo("team/app", "pull", "push"));
    String ec = es256((ECPrivateKey) certEcKey, corpClaims(pushApp).build());
    pushImage(ec, "team/app", "v1", "cert");
    String rsa = rs256(certRsaKey, corpClaims(List.of(repo("team/app", "pull"))).build());
    assertEquals("[\"v1\"]", tags(rsa, "team/app"), "the bundle's second certificate");
    assertChallenged(as(rsa, "DELETE", "/v2/team/app/manifests/v1", null), "repository:team/app:delete",
        "insufficient_scope");

    JWTClaimsSet valid = corpClaims(List.of(repo("team/app", "pull", "push"))).build();
    byte[] certDer = certEc.getEncoded();
    assertRefused(Map.of(
        "a key of the JWKS file, not of the bundle", rs256(corpRsa.toPrivateKey(), valid),
        "another issuer", es256((ECPrivateKey) certEcKey, corpClaims(pushApp).issuer("someone").build()),
        "HS256 keyed with the certificate's DER", BearerAuthTest.hmac(certDer, valid),
        "HS256 keyed with the certificate's PEM", BearerAuthTest.hmac(pem(certEc).getBytes(UTF_8), valid),
        "HS256 keyed with its public key", BearerAuthTest.hmac(BearerAuthTest.pad(certEc.getPublicKey().getEncoded()),
            valid),
        "HS256 keyed with the bundle", BearerAuthTest.hmac(bundlePem.getBytes(UTF_8), valid)), valid);
  }

  @Test
  void aTokenMayCarryASigningCertificateThatChainsToTheBundle() throws Exception {
    certificates = true;
    restartServer();
    JWTClaimsSet pull = corpClaims(List.of(repo("team/app", "pull"))).build();
    HttpResponse<byte[]> in = as(es256WithChain(leafKey, leafChain, pull), "GET", "/v2/team/app/tags/list", null);
    assertEquals(404, in.statusCode(), () -> "let in (no such repository yet): " + text(in));
    HttpResponse<byte[]> leafOnly = as(es256WithChain(leafKey, new java.security.cert.Certificate[] {leafChain[0]},
        pull), "GET", "/v2/team/app/tags/list", null);
    assertEquals(404, leafOnly.statusCode(), () -> "the leaf alone chains to the root: " + text(leafOnly));

    // The leaf's key without a chain is not one of the bundle's; a chain to nowhere, or a self-made one, is refused.
    assertChallenged(as(es256((ECPrivateKey) leafKey, pull), "GET", "/v2/team/app/tags/list", null),
        "repository:team/app:pull", "invalid_token");
    KeyStore selfMade = keytool("impostor", "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA");
    assertChallenged(as(es256WithChain((PrivateKey) selfMade.getKey("corp", "changeit".toCharArray()),
        selfMade.getCertificateChain("corp"), pull), "GET", "/v2/team/app/tags/list", null),
        "repository:team/app:pull", "invalid_token");
    // the right chain, but signed by another key than the leaf's
    assertChallenged(as(es256WithChain(certEcKey, leafChain, pull), "GET", "/v2/team/app/tags/list", null),
        "repository:team/app:pull", "invalid_token");
  }
}
