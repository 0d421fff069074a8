package io.berth.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import io.berth.server.RegistryServer;
import io.berth.server.auth.Htpasswd;
import io.berth.server.config.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Berth's tokens are ones a docker-compatible verifier accepts: distribution 2.8.2, configured as distribution
 * users configure it behind a token service (realm, service, issuer, and a root certificate bundle holding the
 * signing key's certificate), lets a client push and pull with tokens from Berth's token endpoint, and refuses
 * what the token does not grant. distribution finds the key by the token's {@code kid} (libtrust's key id) among the
 * bundle's certificates, so this fails if our key ids, algorithm or claims are not what it expects.
 */
class DistributionTrustsBerthTokensTest {
  private static final String SERVICE = "interop.test";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  @TempDir
  Path dir;

  @Test
  void distributionAcceptsBerthTokensForWhatTheyGrantOnly() throws Exception {
    Path binary = DistributionRegistry.binaryOrSkip();
    Path htpasswd = dir.resolve("htpasswd");
    Htpasswd.setPassword(htpasswd, "alice", "alice-pw".toCharArray());
    Htpasswd.setPassword(htpasswd, "bob", "bob-pw".toCharArray());
    Path key = dir.resolve("token-key.json");
    ServerConfig.Auth auth = new ServerConfig.Auth("token", "berth", new ServerConfig.HtpasswdFile(htpasswd.toString()),
        new ServerConfig.Token("", SERVICE, "berth-interop", key.toString(), 300, 1, "", ""), Map.of(), List.of(
            new ServerConfig.AccessRule("team/*", false, List.of("alice"), List.of(), false, List.of("pull", "push")),
            new ServerConfig.AccessRule("team/*", false, List.of("bob"), List.of(), false, List.of("pull"))));
    try (RegistryServer berth = RegistryServer.start(ServerConfig.DEFAULTS.withAddr("127.0.0.1:0")
        .withFilesystemRoot(dir.resolve("berth-data")).withAuth(auth))) {
      Path bundle = certificateFor(key);
      Path distributionDir = Files.createDirectories(dir.resolve("distribution"));
      try (DistributionRegistry distribution = DistributionRegistry.start(binary, distributionDir, false, """
          auth:
            token:
              realm: %s/auth/token
              service: %s
              issuer: berth-interop
              rootcertbundle: %s
          """.formatted(berth.baseUrl(), SERVICE, bundle), 401)) {
        URI registry = distribution.baseUrl();
        HttpResponse<String> challenge = send(HttpRequest.newBuilder(registry.resolve("/v2/")).build());
        assertEquals(401, challenge.statusCode());

        String alice = token(berth, "alice:alice-pw", "repository:team/app:pull,push");
        byte[] blob = "layer bytes pushed to distribution with a Berth token".getBytes(StandardCharsets.UTF_8);
        String digest = Digests.sha256(blob);
        HttpResponse<String> session = send(HttpRequest.newBuilder(registry.resolve("/v2/team/app/blobs/uploads/"))
            .header("Authorization", "Bearer " + alice).POST(HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(202, session.statusCode(), session.body());
        String location = session.headers().firstValue("Location").orElseThrow();
        HttpResponse<String> pushed = send(HttpRequest.newBuilder(
                registry.resolve(location + (location.contains("?") ? "&" : "?") + "digest=" + digest))
            .header("Authorization", "Bearer " + alice)
            .header("Content-Type", "application/octet-stream")
            .PUT(HttpRequest.BodyPublishers.ofByteArray(blob)).build());
        assertEquals(201, pushed.statusCode(), pushed.body());

        String bob = token(berth, "bob:bob-pw", "repository:team/app:pull,push");
        HttpResponse<byte[]> pulled = http.send(HttpRequest.newBuilder(registry.resolve("/v2/team/app/blobs/" + digest))
            .header("Authorization", "Bearer " + bob).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, pulled.statusCode());
        assertEquals(new String(blob, StandardCharsets.UTF_8), new String(pulled.body(), StandardCharsets.UTF_8));

        // bob asked for push too, but his token only grants pull: distribution must refuse the upload.
        HttpResponse<String> refused = send(HttpRequest.newBuilder(registry.resolve("/v2/team/app/blobs/uploads/"))
            .header("Authorization", "Bearer " + bob).POST(HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(401, refused.statusCode(), refused.body());
        assertTrue(refused.headers().firstValue("WWW-Authenticate").orElse("").contains("insufficient_scope"),
            refused.headers().map().toString());
      }
    }
  }

  /** Fetches a token from Berth's endpoint, as docker does: GET with basic credentials. */
  private String token(RegistryServer berth, String credentials, String scope) throws Exception {
    HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(berth.baseUrl()
            + "/auth/token?service=" + SERVICE + "&scope=" + scope))
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)))
        .build());
    assertEquals(200, response.statusCode(), response.body());
    JsonNode body = JSON.readTree(response.body());
    return body.get("token").asText();
  }

  /** A self-signed certificate for Berth's signing key, made with openssl: what an operator would put in the bundle. */
  private Path certificateFor(Path keyFile) throws Exception {
    ECKey key = (ECKey) JWK.parse(Files.readString(keyFile));
    Path pem = dir.resolve("token-key.pem");
    Files.writeString(pem, "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(
            key.toECPrivateKey().getEncoded())
        + "\n-----END PRIVATE KEY-----\n");
    Path cert = dir.resolve("token-cert.pem");
    Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-new", "-key", pem.toString(), "-subj",
        "/CN=berth token signer", "-days", "2", "-out", cert.toString()).redirectErrorStream(true).start();
    String output = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(openssl.waitFor(30, TimeUnit.SECONDS) && openssl.exitValue() == 0, "openssl: " + output);
    return cert;
  }

  private HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
