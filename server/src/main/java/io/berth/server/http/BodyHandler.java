package io.berth.server.http;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.util.List;

/**
 * Takes one request's body, chunk by chunk as it arrives, then answers. Every method runs on the storage
 * executor, one call at a time; the next chunk is read from the socket only after {@link #onContent} returns,
 * which is the backpressure.
 */
public interface BodyHandler {

  /** A chunk of the body. The buffer is released by the caller afterwards. */
  void onContent(ByteBuf content) throws IOException;

  /**
   * The chunks that arrived while the last ones were handled, in order (never empty); by default one at a time.
   * The buffers are released by the caller afterwards.
   */
  default void onContent(List<ByteBuf> batch) throws IOException {
    for (ByteBuf content : batch) {
      onContent(content);
    }
  }

  /** The whole body has arrived: answer. */
  Response end() throws IOException;

  /** The request ended early (client gone, malformed body, an error answered): release what is held. */
  default void abort() {}
}
