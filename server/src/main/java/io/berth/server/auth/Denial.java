package io.berth.server.auth;

import io.berth.oci.ErrorCode;
import java.util.Map;

/** A request refused by authentication: 401 with a challenge, 403 DENIED, or 429 while a client is throttled. */
public final class Denial extends RuntimeException {
  private final ErrorCode code;
  private final int status;
  private final Map<String, String> headers;

  Denial(ErrorCode code, int status, String detail, Map<String, String> headers) {
    super(detail, null, false, false);
    this.code = code;
    this.status = status;
    this.headers = Map.copyOf(headers);
  }

  public ErrorCode code() {
    return code;
  }

  public int status() {
    return status;
  }

  /** Headers the answer must carry, such as {@code WWW-Authenticate}. */
  public Map<String, String> headers() {
    return headers;
  }
}
