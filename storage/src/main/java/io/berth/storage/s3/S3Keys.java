package io.berth.storage.s3;

import io.berth.storage.StoragePaths;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Where a storage path lives in the bucket: a file is the object {@code <prefix>/<path>}, so the bucket reads like
 * the filesystem layout. The bytes of an appended file live apart, in a segment group, where no storage path can
 * reach:
 *
 * <pre>
 * &lt;prefix&gt;/&lt;path&gt;                                          a file's bytes, or an empty object naming its group
 * &lt;prefix&gt;/.appended/&lt;path&gt;/&lt;generation&gt;/&lt;offset, 20 digits&gt;  one segment per committed write
 * &lt;prefix&gt;/.appended/&lt;path&gt;/&lt;generation&gt;/owner              the path that owns the group, once moved
 * </pre>
 *
 * An appended file is kept as segments because S3 objects can't grow: each commit of a writer adds one object
 * (one PUT, or one multipart upload for a large one), named by where it starts, so listing them gives the file in
 * order, and any process can read or continue it. A group is named by the path that created it plus a random
 * generation, so a path used again never meets the segments of its earlier file. Moving the file hands its group
 * to the destination without copying a byte: the {@code owner} object says who has it now.
 */
final class S3Keys {
  /** The top-level name of the segment groups; storage paths may not start with it. */
  static final String APPENDED = ".appended";
  static final String OWNER = "owner";
  private static final Pattern OFFSET = Pattern.compile("\\d{20}");

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

  /** The storage path of a file's key. */
  String path(String fileKey) {
    return fileKey.substring(root.length());
  }

  /** The prefix of everything under a directory. */
  String directory(String path) {
    return file(path) + "/";
  }

  /** A new group for an appended file created at {@code path}. */
  static String newGroup(String path) {
    return StoragePaths.requireValid(path) + "/" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  }

  /** The path that created a group, which owns it until an {@code owner} object says otherwise. */
  static String creator(String group) {
    return group.substring(0, group.lastIndexOf('/'));
  }

  /** The prefix of a group's objects. */
  String group(String group) {
    return root + APPENDED + "/" + StoragePaths.requireValid(group) + "/";
  }

  String segment(String group, long offset) {
    return group(group) + String.format("%020d", offset);
  }

  String owner(String group) {
    return group(group) + OWNER;
  }

  /** The prefix of the groups created at or under a path. */
  String groupsUnder(String path) {
    return root + APPENDED + "/" + StoragePaths.requireValid(path) + "/";
  }

  /** The group a key under {@link #groupsUnder} belongs to. */
  String groupOf(String key) {
    return key.substring(root.length() + APPENDED.length() + 1, key.lastIndexOf('/'));
  }

  static boolean isSegment(String key) {
    return OFFSET.matcher(key.substring(key.lastIndexOf('/') + 1)).matches();
  }

  /** Where a segment starts, from its key. */
  static long offsetOf(String segmentKey) {
    return Long.parseLong(segmentKey.substring(segmentKey.lastIndexOf('/') + 1));
  }
}
