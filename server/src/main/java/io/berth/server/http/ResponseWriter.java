package io.berth.server.http;

import io.berth.oci.ErrorCode;
import io.berth.oci.RegistryException;
import io.berth.storage.PathNotFoundException;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * Writes a {@link Response}. Blob bodies are opened here on the storage executor and then handed to Netty:
 * a local file goes out zero-copy ({@link DefaultFileRegion}, sendfile) on plain connections; under TLS, where
 * every byte must pass through the TLS engine, and from other storage, the blob is read ahead on the storage
 * executor and streamed with backpressure ({@link PrefetchingChunkedInput}), never blocking the event loop on a
 * disk read.
 */
final class ResponseWriter {
  static final String API_VERSION_HEADER = "Docker-Distribution-API-Version";

  private ResponseWriter() {}

  /**
   * Writes the response. May block opening storage: call on the storage executor.
   *
   * @return the future of the last write
   */
  static ChannelFuture write(ChannelHandlerContext ctx, Response response, boolean head, boolean keepAlive,
      Executor storage) throws IOException {
    var headers = response.headers();
    headers.set(API_VERSION_HEADER, "registry/2.0");
    headers.set(HttpHeaderNames.CONTENT_LENGTH, response.contentLength());
    if (!keepAlive) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    if (head || response.body() instanceof Response.Empty) {
      var full = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, response.status(), Unpooled.EMPTY_BUFFER);
      full.headers().set(headers);
      return ctx.writeAndFlush(full);
    }
    return switch (response.body()) {
      case Response.Bytes b -> {
        var full = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, response.status(), Unpooled.wrappedBuffer(b.bytes()));
        full.headers().set(headers);
        yield ctx.writeAndFlush(full);
      }
      case Response.BlobRange r -> writeBlob(ctx, response, r, storage);
      case Response.Empty e -> throw new IllegalStateException("handled above");
    };
  }

  private static ChannelFuture writeBlob(ChannelHandlerContext ctx, Response response, Response.BlobRange range,
      Executor storage) throws IOException {
    var head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, response.status());
    head.headers().set(response.headers());
    Optional<Path> file = range.blob().localFile();
    if (file.isPresent() && ctx.pipeline().get(SslHandler.class) == null) {
      FileChannel channel;
      try {
        channel = FileChannel.open(file.get(), StandardOpenOption.READ);
      } catch (java.nio.file.NoSuchFileException e) {
        // deleted between the handler's stat and now; nothing is sent yet, so it can still be a 404
        throw new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob unknown: " + range.blob().digest());
      }
      ctx.write(head);
      ctx.write(new DefaultFileRegion(channel, range.offset(), range.length()));
      return ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    }
    java.nio.channels.SeekableByteChannel source;
    try {
      source = range.blob().open(range.offset());
    } catch (PathNotFoundException e) {
      throw new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob unknown: " + range.blob().digest());
    }
    ctx.write(head);
    PrefetchingChunkedInput input = PrefetchingChunkedInput.start(source, range.length(), ctx, storage);
    // A write that never reaches ChunkedWriteHandler (the channel closed first) would never close it.
    return ctx.writeAndFlush(new HttpChunkedInput(input)).addListener(f -> {
      if (!f.isSuccess()) {
        input.close();
      }
    });
  }
}
