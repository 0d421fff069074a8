package io.berth.server.http;

import io.berth.registry.StoredBlob;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

/** What a handler answers: a status, headers and one of three kinds of body. */
public final class Response {
  /** The body: nothing, a few bytes held in memory, or a range of a stored blob streamed from storage. */
  public sealed interface Body permits Empty, Bytes, BlobRange {}

  public record Empty() implements Body {}

  public record Bytes(byte[] bytes) implements Body {}

  /** {@code length} bytes of {@code blob} from {@code offset}. */
  public record BlobRange(StoredBlob blob, long offset, long length) implements Body {}

  private final HttpResponseStatus status;
  private final HttpHeaders headers = new DefaultHttpHeaders();
  private Body body = new Empty();

  private Response(HttpResponseStatus status) {
    this.status = status;
  }

  public static Response status(HttpResponseStatus status) {
    return new Response(status);
  }

  public Response header(CharSequence name, Object value) {
    headers.add(name, value);
    return this;
  }

  /** A JSON or other in-memory body with its content type. */
  public Response body(String contentType, byte[] bytes) {
    headers.set(HttpHeaderNames.CONTENT_TYPE, contentType);
    this.body = new Bytes(bytes);
    return this;
  }

  public Response blob(StoredBlob blob, long offset, long length) {
    this.body = new BlobRange(blob, offset, length);
    return this;
  }

  public HttpResponseStatus status() {
    return status;
  }

  public HttpHeaders headers() {
    return headers;
  }

  public Body body() {
    return body;
  }

  /** Bytes of the body, as sent in {@code Content-Length}. */
  public long contentLength() {
    return switch (body) {
      case Empty e -> 0;
      case Bytes b -> b.bytes().length;
      case BlobRange r -> r.length();
    };
  }
}
