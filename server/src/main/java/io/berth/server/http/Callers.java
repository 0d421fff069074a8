package io.berth.server.http;

import io.berth.server.auth.Caller;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.util.regex.Pattern;

/** Who sent a request, from its connection and headers, for authentication. */
final class Callers {
  /** A host name or address with an optional port; anything else in {@code Host} is not echoed into a realm. */
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.\\-]{1,253}(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]{2,45}\\](:[0-9]{1,5})?");

  private Callers() {}

  static Caller of(ChannelHandlerContext ctx, HttpRequest request) {
    return new Caller(request.headers().get(HttpHeaderNames.AUTHORIZATION), address(ctx), origin(ctx, request));
  }

  static String address(ChannelHandlerContext ctx) {
    return ctx.channel().remoteAddress() instanceof InetSocketAddress a
        ? a.getAddress().getHostAddress() : String.valueOf(ctx.channel().remoteAddress());
  }

  /** {@code scheme://host:port} as the client addressed us: the Host header when it is one, else our address. */
  private static String origin(ChannelHandlerContext ctx, HttpRequest request) {
    String scheme = ctx.pipeline().get(SslHandler.class) != null ? "https" : "http";
    String host = request.headers().get(HttpHeaderNames.HOST);
    if (host == null || !HOST.matcher(host).matches()) {
      InetSocketAddress local = (InetSocketAddress) ctx.channel().localAddress();
      String address = local.getAddress().getHostAddress();
      host = (address.contains(":") ? "[" + address + "]" : address) + ":" + local.getPort();
    }
    return scheme + "://" + host;
  }
}
