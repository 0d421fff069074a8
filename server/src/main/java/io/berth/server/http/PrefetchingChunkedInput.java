package io.berth.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Streams {@code length} bytes of a storage channel that may block (a remote object store) without blocking the
 * event loop: a storage thread reads ahead into a few chunks, and {@link ChunkedWriteHandler} takes them only
 * while the connection is writable. When it finds none ready, {@link #readChunk} answers null and the reader
 * resumes the transfer once one is. Memory is bounded by {@link #AHEAD} chunks per response.
 */
final class PrefetchingChunkedInput implements ChunkedInput<ByteBuf> {
  static final int CHUNK_SIZE = 256 * 1024;
  private static final int AHEAD = 4;

  private final ReadableByteChannel source;
  private final long length;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition taken = lock.newCondition();
  private final ArrayDeque<ByteBuf> ready = new ArrayDeque<>();
  private long read;
  private long sent;
  private boolean closed;
  private IOException failure;

  private PrefetchingChunkedInput(ReadableByteChannel source, long length) {
    this.source = source;
    this.length = length;
  }

  /** Starts reading ahead on {@code storage}; the caller then writes the input to {@code ctx}. */
  static PrefetchingChunkedInput start(ReadableByteChannel source, long length, ChannelHandlerContext ctx,
      Executor storage) {
    PrefetchingChunkedInput input = new PrefetchingChunkedInput(source, length);
    storage.execute(() -> input.readAhead(ctx));
    return input;
  }

  private void readAhead(ChannelHandlerContext ctx) {
    try {
      while (read < length) {
        lock.lock();
        try {
          while (ready.size() >= AHEAD && !closed) {
            // Bounded, as a backstop: the write watchdog closes a stalled response, which closes this input.
            if (!taken.await(5, java.util.concurrent.TimeUnit.MINUTES)) {
              throw new IOException("nobody took the blob's next chunk for 5 minutes");
            }
          }
          if (closed) {
            return;
          }
        } finally {
          lock.unlock();
        }
        int size = (int) Math.min(CHUNK_SIZE, length - read);
        ByteBuffer chunk = ByteBuffer.allocate(size);
        while (chunk.hasRemaining()) {
          if (source.read(chunk) < 0) {
            throw new EOFException("blob ended " + (length - read - chunk.position()) + " bytes early");
          }
        }
        read += size;
        offer(Unpooled.wrappedBuffer(chunk.flip()));
        resume(ctx);
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

  private void offer(ByteBuf chunk) {
    lock.lock();
    try {
      if (closed) {
        chunk.release();
      } else {
        ready.add(chunk);
      }
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
        taken.signal();
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
      taken.signal();
    } finally {
      lock.unlock();
    }
  }

  private void closeSource() {
    try {
      source.close();
    } catch (IOException ignored) {
      // nothing more to read from it
    }
  }
}
