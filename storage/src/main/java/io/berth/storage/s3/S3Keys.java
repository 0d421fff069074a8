package io.berth.storage.s3;

import io.berth.storage.StoragePaths;

/**
 * Where a storage path lives in the bucket. Two namespaces under the prefix:
 *
 * <pre>
 * &lt;prefix&gt;files/&lt;path&gt;                       a file: its bytes, or an empty marker for an appended file
 * &lt;prefix&gt;appended/&lt;path&gt;/&lt;offset, 20 digits&gt;  the segments of an appended file, one per committed write
 * </pre>
 *
 * An appended file is kept as segments because S3 objects can't grow: each commit of a writer adds one object
 * (one PUT, or one multipart upload for a large one), named by where it starts, so listing them gives the file
 * in order, and any process can read or continue it.
 */
final class S3Keys {
  private final String files;
  private final String appended;

  S3Keys(String prefix) {
    String p = prefix.replaceAll("^/+|/+$", "");
    String root = p.isEmpty() ? "" : p + "/";
    this.files = root + "files/";
    this.appended = root + "appended/";
  }

  String file(String path) {
    return files + StoragePaths.requireValid(path);
  }

  /** The prefix of everything under a directory (or a file's own key prefix, for a tree delete). */
  String directory(String path) {
    return file(path) + "/";
  }

  /** The storage path of a key in the files namespace. */
  String pathOf(String fileKey) {
    return fileKey.substring(files.length());
  }

  String segments(String path) {
    return appended + StoragePaths.requireValid(path) + "/";
  }

  String segment(String path, long offset) {
    return segments(path) + String.format("%020d", offset);
  }

  /** Where a segment starts, from its key. */
  static long offsetOf(String segmentKey) {
    return Long.parseLong(segmentKey.substring(segmentKey.lastIndexOf('/') + 1));
  }
}
