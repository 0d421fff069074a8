package io.berth.server.http;

import io.berth.oci.ErrorCode;
import io.berth.oci.RegistryException;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * One route's handler. {@link #begin} runs on the storage executor once the request head is in and before any
 * body is read, so a request can be refused (bad name, unknown upload) before the client sends its body.
 */
@FunctionalInterface
public interface Endpoint {

  BodyHandler begin(Exchange exchange) throws IOException;

  /** An endpoint that takes no body (any body sent is read and dropped). */
  static Endpoint noBody(Action action) {
    return exchange -> new BodyHandler() {
      @Override
      public void onContent(ByteBuf content) {}

      @Override
      public Response end() throws IOException {
        return action.handle(exchange);
      }
    };
  }

  /** An endpoint that takes a small body whole, refusing more than {@code maxBytes} with 413. */
  static Endpoint smallBody(int maxBytes, BytesAction action) {
    return exchange -> {
      if (exchange.contentLength() > maxBytes) {
        throw tooLarge(exchange.contentLength(), maxBytes);
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      return new BodyHandler() {
        @Override
        public void onContent(ByteBuf content) throws IOException {
          if (body.size() + content.readableBytes() > maxBytes) {
            throw tooLarge(body.size() + (long) content.readableBytes(), maxBytes);
          }
          content.readBytes(body, content.readableBytes());
        }

        @Override
        public Response end() throws IOException {
          return action.handle(exchange, body.toByteArray());
        }
      };
    };
  }

  private static RegistryException tooLarge(long size, int max) {
    return new RegistryException(ErrorCode.SIZE_INVALID, 413, "body of " + size + " bytes exceeds the limit of " + max);
  }

  @FunctionalInterface
  interface Action {
    Response handle(Exchange exchange) throws IOException;
  }

  @FunctionalInterface
  interface BytesAction {
    Response handle(Exchange exchange, byte[] body) throws IOException;
  }
}
