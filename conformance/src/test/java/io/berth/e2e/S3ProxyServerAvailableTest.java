package io.berth.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.berth.storage.s3.S3ProxyServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The storage module's S3 test server runs from this module's tests too, for end-to-end runs of a Berth process
 * over S3: it starts on loopback, refuses unsigned requests and keeps what a signed client puts.
 */
class S3ProxyServerAvailableTest {
  @Test
  void startsOnLoopbackAndServesSignedRequestsOnly() throws Exception {
    try (S3ProxyServer s3proxy = S3ProxyServer.start("e2e"); S3Client s3 = s3proxy.client()) {
      assertEquals("127.0.0.1", s3proxy.endpoint().getHost());
      HttpClient http = HttpClient.newHttpClient();
      URI x = URI.create(s3proxy.endpoint() + "/e2e/x");
      HttpResponse<Void> put = http.send(HttpRequest.newBuilder(x).PUT(HttpRequest.BodyPublishers.ofString("anon")).build(),
          HttpResponse.BodyHandlers.discarding());
      assertEquals(403, put.statusCode());
      s3.putObject(r -> r.bucket("e2e").key("x"), RequestBody.fromBytes(new byte[] {1, 2}));
      assertArrayEquals(new byte[] {1, 2}, s3.getObjectAsBytes(r -> r.bucket("e2e").key("x")).asByteArray());
      // (S3Proxy answers an unsigned GET of a missing key with 404, of an existing one with 403)
      assertEquals(403, http.send(HttpRequest.newBuilder(x).build(), HttpResponse.BodyHandlers.discarding()).statusCode());
    }
  }
}
