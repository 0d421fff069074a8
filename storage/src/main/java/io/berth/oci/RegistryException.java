package io.berth.oci;

/**
 * The one error type of the registry: a spec error code plus a detail for the client.
 * The HTTP layer turns it into the spec's JSON error body with the code's status.
 */
public class RegistryException extends RuntimeException {
  private final ErrorCode code;
  private final int httpStatus;

  public RegistryException(ErrorCode code, String detail) {
    this(code, code.httpStatus(), detail);
  }

  /** For the few places where the spec asks for another status than the code's usual one. */
  public RegistryException(ErrorCode code, int httpStatus, String detail) {
    super(detail, null, false, false);
    this.code = code;
    this.httpStatus = httpStatus;
  }

  public ErrorCode code() {
    return code;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public String detail() {
    return getMessage();
  }
}
