package io.berth.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.oci.ErrorCode;
import io.berth.oci.RegistryException;
import io.berth.server.auth.Denial;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place that turns failures into the spec's error body: {@code {"errors":[{code,message,detail}]}}. */
public final class ErrorResponses {
  private static final Logger log = LoggerFactory.getLogger(ErrorResponses.class);

  private ErrorResponses() {}

  public static Response of(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof ResponseException e) {
      return e.response();
    }
    if (t instanceof Denial d) {
      Response response = of(d.code(), d.status(), d.getMessage());
      d.headers().forEach(response::header);
      return response;
    }
    if (t instanceof RegistryException e) {
      return of(e.code(), e.httpStatus(), e.detail());
    }
    // Anything else is our fault or storage's: log it, tell the client little.
    if (t instanceof IOException) {
      // storage failing (S3 down, a full disk) fails every request alike: one line each, the trace at debug
      log.error("storage failed: {}", t.toString());
      log.debug("storage failure", t);
      return of(ErrorCode.UNAVAILABLE, ErrorCode.UNAVAILABLE.httpStatus(), "storage error");
    }
    log.error("request failed", t);
    return of(ErrorCode.UNKNOWN, ErrorCode.UNKNOWN.httpStatus(), "internal error");
  }

  public static Response of(ErrorCode code, int status, String detail) {
    ObjectNode root = Json.object();
    ArrayNode errors = root.putArray("errors");
    ObjectNode error = errors.addObject();
    error.put("code", code.name());
    error.put("message", code.message());
    if (detail != null) {
      error.put("detail", detail);
    }
    return Response.status(HttpResponseStatus.valueOf(status)).body("application/json; charset=utf-8", Json.bytes(root));
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException
        || t instanceof java.io.UncheckedIOException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
