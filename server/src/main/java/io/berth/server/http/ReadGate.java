package io.berth.server.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * Hands the dispatcher exactly one decoded message per {@code read()} it asks for, holding the rest; with
 * auto-read off this is what makes a request body flow only as fast as storage takes it.
 *
 * <p>Netty's {@code FlowControlHandler} does the same but, in 4.2, forgets a pending read when a socket read
 * decodes no whole message (a request head split over two packets), and the request then waits forever. Here
 * the demand stays until a message is delivered, and the socket is read again while it is unmet.
 */
final class ReadGate extends ChannelDuplexHandler {
  private final ArrayDeque<Object> queue = new ArrayDeque<>();
  /** Messages asked for and not yet delivered. */
  private int demand;
  /**
   * A delivery loop is running. A handler that asks for the next message while handling one only raises the
   * demand; the running loop delivers it. Delivering from inside read() instead would nest one call per queued
   * message, and a body of thousands of one-byte chunks overflows the stack.
   */
  private boolean delivering;

  @Override
  public void read(ChannelHandlerContext ctx) {
    demand++;
    deliver(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    queue.add(msg);
    deliver(ctx);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (demand > 0 && queue.isEmpty()) {
      ctx.read(); // that read decoded no whole message: read on until one arrives
    }
    ctx.fireChannelReadComplete();
  }

  /** Hands over queued messages while there is demand; asks the socket for more when the queue runs dry. */
  private void deliver(ChannelHandlerContext ctx) {
    if (delivering) {
      return;
    }
    delivering = true;
    try {
      while (demand > 0 && !queue.isEmpty()) {
        demand--;
        ctx.fireChannelRead(queue.poll());
      }
    } finally {
      delivering = false;
    }
    if (demand > 0) {
      ctx.read();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseQueued();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseQueued();
  }

  private void releaseQueued() {
    Object msg;
    while ((msg = queue.poll()) != null) {
      ReferenceCountUtil.release(msg);
    }
  }
}
