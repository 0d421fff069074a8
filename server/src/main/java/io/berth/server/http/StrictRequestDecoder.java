package io.berth.server.http;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;

/**
 * A request decoder that refuses a request carrying both {@code Content-Length} and
 * {@code Transfer-Encoding}: proxies in front of us may frame such a request differently than we would, which
 * is how requests are smuggled. Netty's default drops the {@code Content-Length}; we reject the request instead,
 * and the dispatcher answers 400 and closes the connection.
 */
final class StrictRequestDecoder extends HttpRequestDecoder {

  StrictRequestDecoder(HttpDecoderConfig config) {
    super(config);
  }

  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
    throw new IllegalArgumentException("both Content-Length and Transfer-Encoding: refused");
  }
}
