package io.berth.server.http;

import io.berth.server.auth.Authenticator;
import io.berth.server.config.ServerConfig;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executor;

/**
 * The pipeline of every connection: TLS on an HTTPS listener, then decoder, encoder, one-message-per-read flow
 * control, chunked writes, dispatch.
 */
public final class RegistryChannelInitializer extends ChannelInitializer<SocketChannel> {
  /** Largest body piece handed on at once; bounds memory per connection. */
  private static final int MAX_CHUNK_SIZE = 64 * 1024;

  private final ServerConfig.Http http;
  private final Routes routes;
  private final Executor storage;

  private final InFlightRequests inFlight;
  private final Authenticator authenticator;
  /** The HTTPS listener's; null on a plain HTTP listener. */
  private final SslContext tls;

  /** @param tls the TLS context of an HTTPS listener, or null for plain HTTP */
  public RegistryChannelInitializer(ServerConfig.Http http, SslContext tls, Routes routes,
      Authenticator authenticator, Executor storage, InFlightRequests inFlight) {
    this.http = http;
    this.tls = tls;
    this.routes = routes;
    this.authenticator = authenticator;
    this.storage = storage;
    this.inFlight = inFlight;
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    HttpDecoderConfig decoder = new HttpDecoderConfig()
        .setMaxInitialLineLength(http.maxinitiallinelength())
        .setMaxHeaderSize(http.maxheadersize())
        .setMaxChunkSize(MAX_CHUNK_SIZE);
    HeadTimeout headTimeout = new HeadTimeout(http.headertimeout());
    if (tls != null) {
      SslHandler handler = tls.newHandler(ch.alloc());
      // A handshake is the start of a request head, and gets as long.
      handler.setHandshakeTimeout(http.headertimeout(), TimeUnit.SECONDS);
      ch.pipeline()
          .addLast("plain-http-on-tls-port", new PlainHttpOnTlsPort())
          .addLast("tls", handler);
    }
    ch.pipeline()
        // Watches the output only: a response that makes no progress for the idle timeout is given up on.
        .addLast("write-timeout", new IdleStateHandler(true, 0, http.idletimeout(), 0, TimeUnit.SECONDS))
        .addLast("head-timeout", headTimeout)
        .addLast("decoder", new StrictRequestDecoder(decoder))
        .addLast("encoder", new HttpResponseEncoder())
        .addLast("read-gate", new ReadGate())
        .addLast("chunked", new ChunkedWriteHandler())
        .addLast("dispatch", new RequestDispatcher(routes, authenticator, new SerialExecutor(storage), http.idletimeout(),
            headTimeout, inFlight));
  }
}
