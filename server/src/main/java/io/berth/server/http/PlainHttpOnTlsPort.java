package io.berth.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;

/**
 * Sits before the TLS handler and looks at a connection's first byte. A TLS client starts with a record type (a
 * byte below 0x20); a client that speaks plain HTTP to the HTTPS port starts with a method's capital letter, and
 * is told so in a 400 (as Go's servers do) instead of meeting a handshake error. Either way this handler then
 * leaves the pipeline.
 */
final class PlainHttpOnTlsPort extends ChannelInboundHandlerAdapter {
  private static final String BODY = "Client sent an HTTP request to an HTTPS server port\n";
  private static final byte[] ANSWER = ("HTTP/1.1 400 Bad Request\r\n"
      + "Content-Type: text/plain; charset=utf-8\r\n"
      + "Connection: close\r\n"
      + "Content-Length: " + BODY.length() + "\r\n"
      + "\r\n"
      + BODY).getBytes(StandardCharsets.US_ASCII);

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf buf && buf.isReadable()) {
      byte first = buf.getByte(buf.readerIndex());
      if (first >= 'A' && first <= 'Z') {
        buf.release();
        ctx.writeAndFlush(Unpooled.wrappedBuffer(ANSWER)).addListener(ChannelFutureListener.CLOSE);
        return;
      }
      ctx.pipeline().remove(this);
    }
    ctx.fireChannelRead(msg);
  }
}
