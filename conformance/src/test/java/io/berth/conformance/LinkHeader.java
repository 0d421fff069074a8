package io.berth.conformance;

import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the {@code rel="next"} target out of an RFC 8288 {@code Link} header, the spec's pagination signal. */
final class LinkHeader {
  private static final Pattern NEXT = Pattern.compile("<([^>]*)>\\s*;\\s*rel=\"?next\"?");

  private LinkHeader() {}

  static Optional<String> next(HttpResponse<byte[]> response) {
    for (String value : response.headers().allValues("Link")) {
      Matcher m = NEXT.matcher(value);
      if (m.find()) {
        return Optional.of(m.group(1));
      }
    }
    return Optional.empty();
  }
}
