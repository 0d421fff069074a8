package io.berth.server.handlers;

/**
 * One byte range of a {@code Range: bytes=...} header, resolved against the content size. Inclusive ends.
 * Headers we don't serve as ranges (several ranges, other units, garbage) are ignored, as RFC 9110 allows:
 * the whole content is sent.
 */
record ByteRange(long start, long end, long size) {

  /** The range, or null to send the whole content. */
  static ByteRange parse(String header, long size) {
    if (header == null || !header.startsWith("bytes=") || header.indexOf(',') >= 0) {
      return null;
    }
    String spec = header.substring("bytes=".length()).trim();
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return null;
    }
    try {
      String first = spec.substring(0, dash).trim();
      String last = spec.substring(dash + 1).trim();
      if (first.isEmpty()) { // suffix: the last N bytes
        long n = Long.parseLong(last);
        if (n <= 0) {
          return new ByteRange(size, size - 1, size); // unsatisfiable
        }
        return new ByteRange(Math.max(0, size - n), size - 1, size);
      }
      long start = Long.parseLong(first);
      long end = last.isEmpty() ? size - 1 : Math.min(Long.parseLong(last), size - 1);
      if (start < 0 || (!last.isEmpty() && Long.parseLong(last) < start)) {
        return null;
      }
      return new ByteRange(start, end, size);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  boolean satisfiable() {
    return start < size && start <= end;
  }

  long length() {
    return end - start + 1;
  }
}
