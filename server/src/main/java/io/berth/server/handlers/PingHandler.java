package io.berth.server.handlers;

import io.berth.server.http.Exchange;
import io.berth.server.http.Response;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/** {@code GET /v2/}: tells clients this is a registry speaking the v2 API. */
public final class PingHandler {
  private static final byte[] EMPTY_OBJECT = "{}".getBytes(StandardCharsets.US_ASCII);

  public Response handle(Exchange exchange) {
    return Response.status(HttpResponseStatus.OK).body("application/json", EMPTY_OBJECT);
  }
}
