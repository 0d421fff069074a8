package io.berth.storage.s3;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.util.List;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Reads a file that is one object or a run of segments, from a position: each object is fetched with a ranged
 * GET from where reading is, when reading gets there, so a read of the last MiB of a large blob transfers that
 * MiB only. Closing before the end aborts the transfer instead of draining it.
 */
final class S3ReadChannel implements SeekableByteChannel {
  /** One object of the file: its key, where it starts in the file, and its length. */
  record Piece(String key, long start, long length) {
    long end() {
      return start + length;
    }
  }

  /** Large enough that a read is one socket read of what has arrived, not one per few KiB. */
  private static final int SCRATCH_SIZE = 64 * 1024;

  private final S3Client client;
  private final String bucket;
  private final List<Piece> pieces;
  private final long size;
  private long position;
  private ResponseInputStream<GetObjectResponse> stream;
  /** Bytes the open stream has left. */
  private long streamRemaining;
  /** Where reads into a direct buffer land first (an InputStream reads into arrays only); made on first use. */
  private byte[] scratch;
  private boolean open = true;

  S3ReadChannel(S3Client client, String bucket, List<Piece> pieces, long position) {
    this.client = client;
    this.bucket = bucket;
    this.pieces = List.copyOf(pieces);
    this.size = pieces.isEmpty() ? 0 : pieces.get(pieces.size() - 1).end();
    this.position = position;
  }

  /** Reads one whole object, from a GET already answered from {@code position} on. */
  S3ReadChannel(S3Client client, String bucket, Piece object, long position,
      ResponseInputStream<GetObjectResponse> opened) {
    this(client, bucket, List.of(object), position);
    if (position < size) {
      this.stream = opened;
      this.streamRemaining = size - position;
    } else {
      opened.abort();
    }
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (!open) {
      throw new ClosedChannelException();
    }
    if (position >= size) {
      return -1;
    }
    if (!dst.hasRemaining()) {
      return 0;
    }
    if (stream == null) {
      openAt(position);
    }
    int want = (int) Math.min(dst.remaining(), streamRemaining);
    int n;
    try {
      n = readInto(stream, dst, want);
    } catch (RuntimeException e) {
      throw S3Failures.io("read of " + bucket, e);
    }
    if (n < 0) {
      throw new IOException("object ended early at " + position + " of " + size);
    }
    position += n;
    streamRemaining -= n;
    if (streamRemaining == 0) {
      stream.close();
      stream = null;
    }
    return n;
  }

  private int readInto(InputStream in, ByteBuffer dst, int want) throws IOException {
    if (dst.hasArray()) {
      int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), want);
      if (n > 0) {
        dst.position(dst.position() + n);
      }
      return n;
    }
    if (scratch == null) {
      scratch = new byte[SCRATCH_SIZE];
    }
    int n = in.read(scratch, 0, Math.min(want, SCRATCH_SIZE));
    if (n > 0) {
      dst.put(scratch, 0, n);
    }
    return n;
  }

  private void openAt(long at) throws IOException {
    Piece piece = pieces.stream().filter(p -> at >= p.start() && at < p.end()).findFirst()
        .orElseThrow(() -> new IOException("no piece at " + at));
    long from = at - piece.start();
    GetObjectRequest.Builder get = GetObjectRequest.builder().bucket(bucket).key(piece.key());
    if (from > 0) { // a whole object is a plain GET, which stores serve on their fastest path
      get.range("bytes=" + from + "-" + (piece.length() - 1));
    }
    try {
      stream = client.getObject(get.build());
    } catch (RuntimeException e) {
      throw S3Failures.io("GET " + piece.key(), e);
    }
    streamRemaining = piece.length() - from;
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public SeekableByteChannel position(long newPosition) throws IOException {
    if (newPosition != position) {
      abortStream();
      position = newPosition;
    }
    return this;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public int write(ByteBuffer src) {
    throw new NonWritableChannelException();
  }

  @Override
  public SeekableByteChannel truncate(long size) {
    throw new NonWritableChannelException();
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() {
    open = false;
    abortStream();
  }

  private void abortStream() {
    if (stream != null) {
      stream.abort(); // don't read the rest of a large range only to reuse the connection
      try {
        stream.close();
      } catch (IOException | RuntimeException ignored) {
        // aborted
      }
      stream = null;
    }
  }
}
