package io.berth.server.handlers;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** The {@code Link} header of paginated listings (RFC 5988), as distribution sends it. */
final class Links {
  private Links() {}

  static String next(String path, int n, String last) {
    return "<" + path + "?n=" + n + "&last=" + URLEncoder.encode(last, StandardCharsets.UTF_8) + ">; rel=\"next\"";
  }
}
