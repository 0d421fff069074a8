package io.berth.conformance;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;

/**
 * Plain HTTP requests against one registry. Paths are relative to the registry root ({@code /v2/...}); an absolute
 * URL (such as an upload {@code Location}) is used as given after resolving it against the root, since the spec
 * lets registries answer with either form.
 */
final class RegistryClient {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final URI baseUrl;
  private final HttpClient http;

  RegistryClient(URI baseUrl) {
    this.baseUrl = baseUrl;
    // Redirects are allowed on any request (a registry may send blob reads to storage), so follow them.
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NORMAL)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  URI resolve(String pathOrUrl) {
    return baseUrl.resolve(pathOrUrl);
  }

  HttpResponse<byte[]> get(String path, String... headers) {
    return send("GET", path, BodyPublishers.noBody(), headers);
  }

  HttpResponse<byte[]> head(String path, String... headers) {
    return send("HEAD", path, BodyPublishers.noBody(), headers);
  }

  HttpResponse<byte[]> delete(String path, String... headers) {
    return send("DELETE", path, BodyPublishers.noBody(), headers);
  }

  HttpResponse<byte[]> post(String path, byte[] body, String... headers) {
    return send("POST", path, BodyPublishers.ofByteArray(body), headers);
  }

  HttpResponse<byte[]> put(String path, byte[] body, String... headers) {
    return send("PUT", path, BodyPublishers.ofByteArray(body), headers);
  }

  HttpResponse<byte[]> patch(String path, byte[] body, String... headers) {
    return send("PATCH", path, BodyPublishers.ofByteArray(body), headers);
  }

  /**
   * A PATCH whose length is not announced: the body goes out with {@code Transfer-Encoding: chunked} and no
   * {@code Content-Length}, the way docker and containerd stream a layer.
   */
  HttpResponse<byte[]> patchStreamed(String path, byte[] body, String... headers) {
    return send("PATCH", path, BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)), headers);
  }

  /** @param headers name, value, name, value, ... */
  HttpResponse<byte[]> send(String method, String pathOrUrl, BodyPublisher body, String... headers) {
    if (headers.length % 2 != 0) {
      throw new IllegalArgumentException("headers come in name/value pairs");
    }
    HttpRequest.Builder request = HttpRequest.newBuilder(resolve(pathOrUrl)).timeout(TIMEOUT).method(method, body);
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    try {
      return http.send(request.build(), BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + pathOrUrl, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during " + method + " " + pathOrUrl, e);
    }
  }

  /** Adds query parameters to a URL that may already carry some (distribution's upload Locations do). */
  static String withQuery(String url, String query) {
    return url + (url.contains("?") ? "&" : "?") + query;
  }
}
