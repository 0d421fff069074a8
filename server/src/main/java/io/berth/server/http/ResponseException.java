package io.berth.server.http;

/** Ends a request with a response a handler has already built (an error that needs extra headers). */
public final class ResponseException extends RuntimeException {
  private final transient Response response;

  public ResponseException(Response response) {
    super(response.status().toString(), null, false, false);
    this.response = response;
  }

  public Response response() {
    return response;
  }
}
