package io.berth.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Image layers made in memory: a gzipped tar holding one small file, enough for a real image. */
final class Layers {
  private static final int BLOCK = 512;

  private Layers() {}

  static byte[] gzip(byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
      gzip.write(content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** A POSIX ustar archive with one regular file: header block, content padded to a block, two empty blocks. */
  static byte[] tarWithOneFile(String name, String text) {
    return tar(Map.of(name, text.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * A POSIX ustar archive of regular files (name to content), in the map's iteration order, each a header
   * block and its content padded to whole blocks, then two empty blocks. Names must fit the 100-byte field.
   */
  static byte[] tar(Map<String, byte[]> files) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    files.forEach((name, content) -> {
      out.writeBytes(header(name, content.length));
      out.writeBytes(content);
      out.writeBytes(new byte[(BLOCK - content.length % BLOCK) % BLOCK]);
    });
    out.writeBytes(new byte[2 * BLOCK]);
    return out.toByteArray();
  }

  private static byte[] header(String name, int size) {
    if (name.getBytes(StandardCharsets.US_ASCII).length > 100) {
      throw new IllegalArgumentException("tar name longer than 100 bytes: " + name);
    }
    byte[] header = new byte[BLOCK];
    put(header, 0, name);
    put(header, 100, "0000644");
    put(header, 108, "0000000");
    put(header, 116, "0000000");
    put(header, 124, String.format("%011o", size));
    put(header, 136, String.format("%011o", 0));
    header[156] = '0';
    put(header, 257, "ustar");
    put(header, 263, "00");
    // The checksum is the sum of all header bytes with the checksum field itself counted as spaces.
    for (int i = 148; i < 156; i++) {
      header[i] = ' ';
    }
    int sum = 0;
    for (byte b : header) {
      sum += b & 0xff;
    }
    put(header, 148, String.format("%06o", sum));
    header[155] = ' ';
    return header;
  }

  private static void put(byte[] block, int offset, String ascii) {
    byte[] bytes = ascii.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(bytes, 0, block, offset, bytes.length);
  }
}
