package io.berth.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection whose client starts a request head and does not finish it in time (a slowloris). Sits
 * before the decoder, where it sees raw bytes; the dispatcher tells it when a head is complete and when the
 * next one is awaited. Event-loop only.
 */
final class HeadTimeout extends ChannelInboundHandlerAdapter {
  private final int seconds;
  private boolean awaitingHead = true;
  private ScheduledFuture<?> timer;

  HeadTimeout(int seconds) {
    this.seconds = seconds;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (awaitingHead && timer == null && msg instanceof ByteBuf buf && buf.isReadable()) {
      timer = ctx.executor().schedule(() -> {
        if (awaitingHead) {
          ctx.close();
        }
      }, seconds, TimeUnit.SECONDS);
    }
    ctx.fireChannelRead(msg);
  }

  /** The request head is in: no more deadline until the next request. */
  void headReceived() {
    awaitingHead = false;
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  /** The previous exchange is done: the next head's first byte starts the clock. */
  void awaitNextHead() {
    awaitingHead = true;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    headReceived();
    ctx.fireChannelInactive();
  }
}
