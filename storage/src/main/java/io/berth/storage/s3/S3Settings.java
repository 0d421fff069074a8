package io.berth.storage.s3;

/**
 * Where and how the S3 backend stores.
 *
 * @param bucket the bucket, which must exist
 * @param prefix a key prefix under which everything is kept (empty: the bucket's root)
 * @param region the region, such as {@code us-east-1}
 * @param endpoint an endpoint URL for S3-compatible stores (MinIO, Ceph), or empty for AWS
 * @param pathStyle address the bucket in the path ({@code host/bucket/key}), as most S3-compatible stores want
 * @param accessKey credentials; empty: from the environment or the SDK's default chain
 * @param secretKey the secret of {@code accessKey}
 * @param partSizeMiB size of multipart upload parts, at least 5 (S3's minimum)
 * @param concurrency parts of one upload sent at once
 * @param redirectMinutes when above 0, blob downloads are redirected to presigned URLs valid this long
 */
public record S3Settings(String bucket, String prefix, String region, String endpoint, boolean pathStyle,
    String accessKey, String secretKey, int partSizeMiB, int concurrency, int redirectMinutes) {
  /** Without redirects. */
  public S3Settings(String bucket, String prefix, String region, String endpoint, boolean pathStyle,
      String accessKey, String secretKey, int partSizeMiB, int concurrency) {
    this(bucket, prefix, region, endpoint, pathStyle, accessKey, secretKey, partSizeMiB, concurrency, 0);
  }

  /** S3's smallest part but the last. */
  public static final int MIN_PART_MIB = 5;

  public S3Settings {
    if (bucket == null || bucket.isBlank()) {
      throw new IllegalArgumentException("storage.s3.bucket is required");
    }
    if (partSizeMiB < MIN_PART_MIB) {
      throw new IllegalArgumentException("storage.s3.partsize must be at least " + MIN_PART_MIB + " (MiB)");
    }
    if (redirectMinutes < 0 || redirectMinutes > 7 * 24 * 60) {
      throw new IllegalArgumentException("storage.s3.redirectminutes must be 0 (no redirects) to 10080 (7 days)");
    }
    if (concurrency < 1) {
      throw new IllegalArgumentException("storage.s3.concurrency must be at least 1");
    }
    if ((accessKey == null || accessKey.isEmpty()) != (secretKey == null || secretKey.isEmpty())) {
      throw new IllegalArgumentException("storage.s3.accesskey and storage.s3.secretkey go together");
    }
    prefix = prefix == null ? "" : prefix;
    endpoint = endpoint == null ? "" : endpoint;
    accessKey = accessKey == null ? "" : accessKey;
    secretKey = secretKey == null ? "" : secretKey;
  }

  long partSize() {
    return (long) partSizeMiB << 20;
  }

  @Override
  public String toString() { // never the secret
    return "S3Settings[bucket=" + bucket + ", prefix=" + prefix + ", region=" + region + ", endpoint=" + endpoint
        + ", pathStyle=" + pathStyle + ", accessKey=" + accessKey + ", partSizeMiB=" + partSizeMiB
        + ", concurrency=" + concurrency + ", redirectMinutes=" + redirectMinutes + "]";
  }
}
