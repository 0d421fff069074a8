package io.berth.storage.s3;

import io.berth.storage.StoragePaths;

/**
 * Where a storage path lives in the bucket: a file is the object {@code <prefix>/<path>}, so the bucket reads like
 * the filesystem layout. The segments of an appended file live apart, where no storage path can reach:
 *
 * <pre>
 * &lt;prefix&gt;/&lt;path&gt;                                   a file's bytes, or an empty marker for an appended file
 * &lt;prefix&gt;/.appended/&lt;path&gt;/&lt;offset, 20 digits&gt;  the segments of an appended file, one per committed write
 * </pre>
 *
 * An appended file is kept as segments because S3 objects can't grow: each commit of a writer adds one object
 * (one PUT, or one multipart upload for a large one), named by where it starts, so listing them gives the file in
 * order, and any process can read or continue it.
 */
final class S3Keys {
  /** The top-level name of the segments; storage paths may not start with it. */
  static final String APPENDED = ".appended";

  private final String root;

  S3Keys(String prefix) {
    String p = prefix.replaceAll("^/+|/+$", "");
    this.root = p.isEmpty() ? "" : p + "/";
  }

  String file(String path) {
    StoragePaths.requireValid(path);
    if (path.equals(APPENDED) || path.startsWith(APPENDED + "/")) {
      throw new IllegalArgumentException("invalid storage path: " + path);
    }
    return root + path;
  }

  /** The prefix of everything under a directory. */
  String directory(String path) {
    return file(path) + "/";
  }

  String segments(String path) {
    return root + APPENDED + "/" + StoragePaths.requireValid(path) + "/";
  }

  String segment(String path, long offset) {
    return segments(path) + String.format("%020d", offset);
  }

  /** Where a segment starts, from its key. */
  static long offsetOf(String segmentKey) {
    return Long.parseLong(segmentKey.substring(segmentKey.lastIndexOf('/') + 1));
  }
}
