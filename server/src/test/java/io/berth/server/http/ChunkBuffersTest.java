package io.berth.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class ChunkBuffersTest {
  static final int SIZE = 1024;

  final ChunkBuffers buffers = new ChunkBuffers(new UnpooledByteBufAllocator(true), SIZE, 2);

  @Test
  void aReleasedChunkGivesItsBufferBackForTheNext() throws Exception {
    ByteBuf buffer = buffers.take();
    buffer.setByte(0, 42);
    ByteBuf chunk = buffers.lend(buffer, 10);
    assertTrue(chunk.isDirect());
    assertEquals(10, chunk.readableBytes());
    assertEquals(42, chunk.getByte(0));
    chunk.release();
    assertSame(buffer, buffers.take());
    assertEquals(1, buffer.refCnt());
  }

  @Test
  void takeWaitsWhileEveryBufferIsLent() throws Exception {
    ByteBuf first = buffers.lend(buffers.take(), SIZE);
    buffers.lend(buffers.take(), SIZE);
    CompletableFuture<ByteBuf> third = CompletableFuture.supplyAsync(() -> {
      try {
        return buffers.take();
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    try {
      third.get(200, TimeUnit.MILLISECONDS);
      throw new AssertionError("took a third buffer of two");
    } catch (TimeoutException expected) {
      // waiting, as it should
    }
    first.release();
    assertTrue(third.get(5, TimeUnit.SECONDS).isDirect());
  }

  @Test
  void closingFreesIdleBuffersAndEachLentOneWhenNettyReleasesIt() throws Exception {
    ByteBuf idle = buffers.take();
    ByteBuf lentBuffer = buffers.take();
    buffers.giveBack(idle);
    ByteBuf chunk = buffers.lend(lentBuffer, SIZE);
    buffers.close();
    assertEquals(0, idle.refCnt());
    assertEquals(1, lentBuffer.refCnt()); // still being written
    chunk.release();
    assertEquals(0, lentBuffer.refCnt());
    assertNull(buffers.take());
    assertEquals(0, chunk.refCnt());
  }
}
