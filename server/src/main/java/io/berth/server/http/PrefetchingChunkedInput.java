package io.berth.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Streams {@code length} bytes of a storage channel that may block (a remote object store) without blocking the
 * event loop: a storage thread reads ahead into a few chunks, and {@link ChunkedWriteHandler} takes them only
 * while the connection is writable. When it finds none ready, {@link #readChunk} answers null and the reader
 * resumes the transfer once one is; only then, as waking the event loop for every chunk costs more than the
 * chunk's copy. Chunks are read straight into direct buffers of the response's own {@link ChunkBuffers}, which
 * Netty writes as they are, so memory is bounded by {@link #AHEAD} chunks per response, chunks ready or being
 * written alike.
 */
final class PrefetchingChunkedInput implements ChunkedInput<ByteBuf> {
  static final int CHUNK_SIZE = 256 * 1024;
  private static final int AHEAD = 4;

  private final ReadableByteChannel source;
  private final long length;
  private final ChunkBuffers buffers;
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<ByteBuf> ready = new ArrayDeque<>();
  private long read;
  private long sent;
  /** readChunk found no chunk ready: the next one must resume the transfer. */
  private boolean starved;
  private boolean closed;
  private IOException failure;

  private PrefetchingChunkedInput(ReadableByteChannel source, long length, ByteBufAllocator allocator) {
    this.source = source;
    this.length = length;
    this.buffers = new ChunkBuffers(allocator, (int) Math.min(CHUNK_SIZE, Math.max(length, 1)), AHEAD);
  }

  /** Starts reading ahead on {@code storage}; the caller then writes the input to {@code ctx}. */
  static PrefetchingChunkedInput start(ReadableByteChannel source, long length, ChannelHandlerContext ctx,
      Executor storage) {
    PrefetchingChunkedInput input = new PrefetchingChunkedInput(source, length, ctx.alloc());
    storage.execute(() -> input.readAhead(ctx));
    return input;
  }

  private void readAhead(ChannelHandlerContext ctx) {
    try {
      while (read < length) {
        ByteBuf buffer = buffers.take(); // waits while every buffer is ahead or being written: the backpressure
        if (buffer == null) {
          return; // closed
        }
        int size = (int) Math.min(CHUNK_SIZE, length - read);
        try {
          fill(buffer, size);
        } catch (Throwable e) {
          buffers.giveBack(buffer);
          throw e;
        }
        read += size;
        if (offer(buffers.lend(buffer, size))) {
          resume(ctx);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable e) {
      fail(e instanceof IOException io ? io : new IOException("reading the blob failed", e));
      resume(ctx);
    } finally {
      closeSource();
    }
  }

  private void fill(ByteBuf buffer, int size) throws IOException {
    ByteBuffer chunk = buffer.nioBuffer(0, size);
    while (chunk.hasRemaining()) {
      if (source.read(chunk) < 0) {
        throw new EOFException("blob ended " + (length - read - chunk.position()) + " bytes early");
      }
    }
  }

  /** Queues the chunk; true when the writer is waiting for it. */
  private boolean offer(ByteBuf chunk) {
    lock.lock();
    try {
      if (closed) {
        chunk.release();
        return false;
      }
      ready.add(chunk);
      boolean wake = starved;
      starved = false;
      return wake;
    } finally {
      lock.unlock();
    }
  }

  private void fail(IOException e) {
    lock.lock();
    try {
      failure = e;
    } finally {
      lock.unlock();
    }
  }

  private static void resume(ChannelHandlerContext ctx) {
    ChunkedWriteHandler writer = ctx.pipeline().get(ChunkedWriteHandler.class);
    if (writer != null) {
      writer.resumeTransfer();
    }
  }

  @Override
  public boolean isEndOfInput() throws Exception {
    lock.lock();
    try {
      if (failure != null) {
        throw failure;
      }
      return sent >= length;
    } finally {
      lock.unlock();
    }
  }

  @Deprecated
  @Override
  public ByteBuf readChunk(ChannelHandlerContext ctx) throws Exception {
    return readChunk(ctx.alloc());
  }

  /** The next chunk, or null when none is ready yet (the transfer is resumed when one is). */
  @Override
  public ByteBuf readChunk(ByteBufAllocator allocator) throws Exception {
    lock.lock();
    try {
      if (failure != null) {
        throw failure;
      }
      ByteBuf chunk = ready.poll();
      if (chunk != null) {
        sent += chunk.readableBytes();
      } else {
        starved = true;
      }
      return chunk;
    } finally {
      lock.unlock();
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

  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      ByteBuf chunk;
      while ((chunk = ready.poll()) != null) {
        chunk.release();
      }
    } finally {
      lock.unlock();
    }
    buffers.close();
  }

  private void closeSource() {
    try {
      source.close();
    } catch (IOException ignored) {
      // nothing more to read from it
    }
  }
}
