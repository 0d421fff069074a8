package io.berth.storage.s3;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Optional;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Reads the segment groups of a bucket with a plain S3 client, apart from the driver's own code, for tests that
 * check nothing was left behind: a group is kept only while the file that owns it (its {@code owner} object's path,
 * else the path that created it) names it.
 */
public final class SegmentGroups {
  private SegmentGroups() {}

  /** The keys of every group under {@code prefix} that no file owns: leftovers. */
  public static List<String> unowned(S3Client s3, String bucket, String prefix) {
    String root = prefix.isEmpty() ? "" : prefix + "/";
    String groupsRoot = root + S3Keys.APPENDED + "/";
    Map<String, List<String>> groups = new TreeMap<>();
    for (S3Object o : s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(groupsRoot)).contents()) {
      String group = o.key().substring(groupsRoot.length(), o.key().lastIndexOf('/'));
      groups.computeIfAbsent(group, g -> new ArrayList<>()).add(o.key());
    }
    List<String> unowned = new ArrayList<>();
    groups.forEach((group, keys) -> {
      if (!group.equals(named(s3, bucket, root + owner(s3, bucket, groupsRoot, group)))) {
        unowned.addAll(keys);
      }
    });
    return unowned;
  }

  /**
   * A file's bytes, read with a plain S3 client: its object's own, or (of an appended or moved file) those of the
   * segments of the group it names, up to its size; empty when there is no file.
   */
  public static Optional<byte[]> read(S3Client s3, String bucket, String prefix, String path) {
    String root = prefix.isEmpty() ? "" : prefix + "/";
    ResponseBytes<GetObjectResponse> object;
    try {
      object = s3.getObjectAsBytes(r -> r.bucket(bucket).key(root + path));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    }
    Map<String, String> metadata = object.response().metadata();
    String group = metadata.getOrDefault(S3Driver.APPENDED, metadata.get(S3Driver.SEGMENTS));
    if (group == null) {
      return Optional.of(object.asByteArray());
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    String groupKey = root + S3Keys.APPENDED + "/" + group + "/";
    for (S3Object o : s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(groupKey).delimiter("/")).contents()) {
      if (S3Keys.isSegment(o.key())) {
        bytes.writeBytes(s3.getObjectAsBytes(r -> r.bucket(bucket).key(o.key())).asByteArray());
      }
    }
    byte[] all = bytes.toByteArray();
    String size = metadata.get(S3Driver.SIZE);
    return Optional.of(size == null ? all : Arrays.copyOf(all, Integer.parseInt(size)));
  }

  /** The keys of every group, owned or not. */
  public static List<String> all(S3Client s3, String bucket, String prefix) {
    String groupsRoot = (prefix.isEmpty() ? "" : prefix + "/") + S3Keys.APPENDED + "/";
    return s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(groupsRoot)).contents().stream()
        .map(S3Object::key).sorted().toList();
  }

  private static String owner(S3Client s3, String bucket, String groupsRoot, String group) {
    try {
      return s3.getObjectAsBytes(r -> r.bucket(bucket).key(groupsRoot + group + "/" + S3Keys.OWNER)).asUtf8String();
    } catch (NoSuchKeyException e) {
      return group.substring(0, group.lastIndexOf('/'));
    }
  }

  /** The group the object at a key names, or null. */
  private static String named(S3Client s3, String bucket, String key) {
    try {
      Map<String, String> metadata = s3.headObject(r -> r.bucket(bucket).key(key)).metadata();
      return metadata.getOrDefault(S3Driver.APPENDED, metadata.get(S3Driver.SEGMENTS));
    } catch (NoSuchKeyException e) {
      return null;
    }
  }
}
