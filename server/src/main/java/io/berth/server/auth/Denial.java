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

  /** 401 UNAUTHORIZED with the {@code WWW-Authenticate} challenge that tells the client how to sign in. */
  public static Denial unauthorized(String detail, String challenge) {
    return new Denial(ErrorCode.UNAUTHORIZED, 401, detail, Map.of("WWW-Authenticate", challenge));
  }

  /** 403 DENIED: signed in, but not allowed. */
  public static Denial denied(String detail) {
    return new Denial(ErrorCode.DENIED, 403, detail, Map.of());
  }

  /** 400 for a request to the token endpoint that makes no sense (an unknown grant, a malformed scope). */
  public static Denial badRequest(String detail) {
    return new Denial(ErrorCode.UNSUPPORTED, 400, detail, Map.of());
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
