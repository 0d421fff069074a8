package io.berth.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledDirectByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The direct buffers of one streamed response, at most {@code count} of {@code size} bytes, reused chunk after
 * chunk. A chunk is lent to Netty as a buffer over one of them; when Netty releases it (written, or dropped with
 * the connection) the buffer comes back for the next chunk. This bounds a response's memory, and is the
 * backpressure: the reader waits for a buffer to come back. Reusing them matters: Netty's allocator does not pool
 * buffers this large under a small heap, and a fresh one costs a native allocation and zeroing per chunk, on the
 * event loop when Netty copies a heap chunk into one to write it.
 */
final class ChunkBuffers {
  private final ByteBufAllocator allocator;
  private final int size;
  private final int count;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition returned = lock.newCondition();
  private final ArrayDeque<ByteBuf> idle = new ArrayDeque<>();
  private int allocated;
  private boolean closed;

  ChunkBuffers(ByteBufAllocator allocator, int size, int count) {
    this.allocator = allocator;
    this.size = size;
    this.count = count;
  }

  /**
   * A buffer of {@link #size} bytes to fill, waiting while all are lent; null once closed.
   *
   * @throws IOException when none came back for 5 minutes (a backstop: the write watchdog closes a stalled
   *     response first)
   */
  ByteBuf take() throws IOException, InterruptedException {
    lock.lock();
    try {
      while (idle.isEmpty() && allocated == count && !closed) {
        if (!returned.await(5, TimeUnit.MINUTES)) {
          throw new IOException("nobody took the blob's next chunk for 5 minutes");
        }
      }
      if (closed) {
        return null;
      }
      if (!idle.isEmpty()) {
        return idle.poll();
      }
      allocated++; // allocated lazily: a small blob needs one
    } finally {
      lock.unlock();
    }
    return allocator.directBuffer(size, size);
  }

  /** Lends the first {@code length} bytes of {@code buffer} (from {@link #take}) to Netty, as a chunk to write. */
  ByteBuf lend(ByteBuf buffer, int length) {
    return new Lent(allocator, buffer, length);
  }

  /** Gives back a buffer that was taken but not lent (reading into it failed). */
  void giveBack(ByteBuf buffer) {
    lock.lock();
    try {
      if (closed) {
        buffer.release();
      } else {
        idle.add(buffer);
        returned.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Frees the idle buffers, and each lent one when Netty gives it back; wakes a reader waiting in take. */
  void close() {
    lock.lock();
    try {
      closed = true;
      ByteBuf buffer;
      while ((buffer = idle.poll()) != null) {
        buffer.release();
      }
      returned.signal();
    } finally {
      lock.unlock();
    }
  }

  /** A chunk over a buffer of the set: its release gives the buffer back instead of freeing memory. */
  private final class Lent extends UnpooledDirectByteBuf {
    private final ByteBuf buffer;

    Lent(ByteBufAllocator allocator, ByteBuf buffer, int length) {
      // This constructor wraps the memory without owning it: deallocate frees nothing.
      super(allocator, filled(buffer, length), length);
      this.buffer = buffer;
    }

    private static ByteBuffer filled(ByteBuf buffer, int length) {
      return buffer.nioBuffer(0, length);
    }

    @Override
    protected void deallocate() {
      super.deallocate();
      giveBack(buffer);
    }
  }
}
