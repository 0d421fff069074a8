package io.berth.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.stream.ChunkedInput;
import java.nio.channels.SeekableByteChannel;

/**
 * Streams {@code length} bytes of a storage channel in chunks, pulled by {@code ChunkedWriteHandler} only while
 * the connection is writable, so a slow client never makes us buffer a blob.
 */
final class StorageChunkedInput implements ChunkedInput<ByteBuf> {
  private final SeekableByteChannel channel;
  private final long length;
  private final int chunkSize;
  private long sent;

  StorageChunkedInput(SeekableByteChannel channel, long length, int chunkSize) {
    this.channel = channel;
    this.length = length;
    this.chunkSize = chunkSize;
  }

  @Override
  public boolean isEndOfInput() {
    return sent >= length || !channel.isOpen();
  }

  @Override
  public void close() throws Exception {
    channel.close();
  }

  @Deprecated
  @Override
  public ByteBuf readChunk(io.netty.channel.ChannelHandlerContext ctx) throws Exception {
    return readChunk(ctx.alloc());
  }

  @Override
  public ByteBuf readChunk(ByteBufAllocator allocator) throws Exception {
    if (isEndOfInput()) {
      return null;
    }
    int size = (int) Math.min(chunkSize, length - sent);
    ByteBuf buf = allocator.heapBuffer(size);
    boolean ok = false;
    try {
      java.nio.ByteBuffer target = buf.nioBuffer(0, size);
      while (target.hasRemaining()) {
        if (channel.read(target) < 0) {
          throw new java.io.EOFException("blob ended " + target.remaining() + " bytes early");
        }
      }
      buf.writerIndex(size);
      sent += size;
      ok = true;
      return buf;
    } finally {
      if (!ok) {
        buf.release();
      }
    }
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public long progress() {
    return sent;
  }
}
