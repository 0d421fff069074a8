package io.berth.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

final class HttpAssertions {
  private HttpAssertions() {}

  /** Asserts a 200 and returns the response; on failure shows the request and the error body. */
  static HttpResponse<byte[]> ok(HttpResponse<byte[]> response) {
    assertEquals(200, response.statusCode(),
        () -> response.request().method() + " " + response.request().uri() + " -> " + response.statusCode()
            + "\n" + new String(response.body(), StandardCharsets.UTF_8));
    return response;
  }

  static String header(HttpResponse<?> response, String name) {
    return response.headers().firstValue(name).orElse(null);
  }
}
