package io.berth.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.server.RegistryServer;
import io.berth.server.config.ServerConfig;
import io.berth.storage.s3.S3ProxyServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code storage.s3.redirectminutes} on, blob downloads are redirected (307) to presigned S3 URLs: Berth
 * checks the request and the client fetches the bytes from S3 itself. curl follows with {@code -L}, a range
 * included; skopeo, a real registry client, copies an image out through the redirects byte for byte.
 */
class S3RedirectEndToEndTest {
  @TempDir
  static Path workDir;
  static S3ProxyServer s3;
  static RegistryServer berth;
  static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  @BeforeAll
  static void start() throws Exception {
    Clients.require("skopeo", "curl");
    s3 = S3ProxyServer.start();
    berth = RegistryServer.start(ServerConfig.DEFAULTS.withAddr("127.0.0.1:0").withS3(new ServerConfig.S3(
        s3.bucket(), "redirect-" + UUID.randomUUID(), s3.region(), s3.endpoint().toString(), true, s3.accessKey(),
        s3.secretKey(), 5, 2, 10)));
  }

  @AfterAll
  static void stop() throws Exception {
    if (berth != null) {
      berth.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  void blobDownloadsAreRedirectedToS3AndClientsFollowThem() throws Exception {
    OciLayout source = OciLayout.create(workDir.resolve("source"));
    byte[] manifest = source.writeImage("amd64", "fetched from S3 directly");
    source.writeIndexJson("v1", manifest, "application/vnd.oci.image.manifest.v1+json");
    String registry = "127.0.0.1:" + berth.port();
    Command.of("skopeo", "copy", "--dest-tls-verify=false", "oci:" + workDir.resolve("source") + ":v1",
        "docker://" + registry + "/team/redirect:v1").check();

    String layerDigest = OciLayout.parse(manifest).get("layers").get(0).get("digest").asText();
    byte[] layer = Files.readAllBytes(workDir.resolve("source/blobs/sha256").resolve(Digests.hex(layerDigest)));
    URI blob = URI.create(berth.baseUrl() + "/v2/team/redirect/blobs/" + layerDigest);
    HttpResponse<byte[]> redirected = HTTP.send(HttpRequest.newBuilder(blob).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(307, redirected.statusCode());
    String location = redirected.headers().firstValue("Location").orElseThrow();
    assertTrue(location.startsWith(s3.endpoint().toString()) && location.contains("X-Amz-Signature="), location);
    assertEquals(layerDigest, redirected.headers().firstValue("Docker-Content-Digest").orElse(null));
    HttpResponse<byte[]> head = HTTP.send(HttpRequest.newBuilder(blob).method("HEAD", HttpRequest.BodyPublishers.noBody())
        .build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, head.statusCode(), "HEAD is answered by Berth");
    assertEquals(String.valueOf(layer.length), head.headers().firstValue("Content-Length").orElse(null));

    Path curled = workDir.resolve("curled");
    Command.of("curl", "-sfL", "-o", curled.toString(), blob.toString()).check();
    assertArrayEquals(layer, Files.readAllBytes(curled));
    Path ranged = workDir.resolve("ranged");
    Command.of("curl", "-sfL", "-H", "Range: bytes=10-", "-o", ranged.toString(), blob.toString()).check();
    assertArrayEquals(Arrays.copyOfRange(layer, 10, layer.length), Files.readAllBytes(ranged));

    // an unknown blob is still Berth's 404, never a redirect to a missing object
    HttpResponse<byte[]> missing = HTTP.send(HttpRequest.newBuilder(URI.create(berth.baseUrl()
        + "/v2/team/redirect/blobs/sha256:" + "0".repeat(64))).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(404, missing.statusCode());

    Command.of("skopeo", "copy", "--src-tls-verify=false", "docker://" + registry + "/team/redirect:v1",
        "oci:" + workDir.resolve("copy") + ":v1").check();
    assertArrayEquals(layer, Files.readAllBytes(workDir.resolve("copy/blobs/sha256").resolve(Digests.hex(layerDigest))));
  }
}
