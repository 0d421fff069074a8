package io.berth.storage.s3;

import io.berth.storage.FileWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.LongFunction;

/**
 * Appends to an appended file: what is written between two commits becomes one segment object, named by the
 * offset it starts at, visible once committed. Closing without a commit still commits what was written (best
 * effort), as the filesystem keeps written bytes: an upload cut off mid-chunk can go on from where it got.
 */
final class SegmentWriter implements FileWriter {
  private final LongFunction<ObjectSink> sinkAt;
  private long committed;
  private ObjectSink sink;
  private boolean closed;

  /** @param sinkAt a sink for the segment starting at an offset */
  SegmentWriter(long size, LongFunction<ObjectSink> sinkAt) {
    this.committed = size;
    this.sinkAt = sinkAt;
  }

  @Override
  public void write(ByteBuffer src) throws IOException {
    if (closed) {
      throw new IOException("writer closed");
    }
    if (sink == null) {
      sink = sinkAt.apply(committed);
    }
    sink.write(src);
  }

  @Override
  public long size() {
    return committed + (sink == null ? 0 : sink.size());
  }

  @Override
  public void commit() throws IOException {
    if (sink == null || sink.size() == 0) {
      return;
    }
    ObjectSink finishing = sink;
    sink = null;
    finishing.finish();
    committed += finishing.size();
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    if (sink != null) {
      try {
        commit();
      } finally {
        if (sink != null) {
          sink.abort();
        }
      }
    }
  }
}
