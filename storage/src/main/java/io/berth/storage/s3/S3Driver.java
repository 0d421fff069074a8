package io.berth.storage.s3;

import io.berth.storage.FileWriter;
import io.berth.storage.PathNotFoundException;
import io.berth.storage.StorageDriver;
import io.berth.storage.WriteConflictException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.GetObjectPresignRequest;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The S3 backend (AWS S3, or any S3-compatible store: MinIO, Ceph, S3Proxy). Layout in {@link S3Keys}: files
 * are objects; appended files (uploads in progress) are an empty marker object plus one segment object per
 * committed write. Every write becomes visible whole (a PUT, a completed multipart upload or a copy), and a
 * returned write is durable, as S3 acknowledges only stored objects.
 */
public final class S3Driver implements StorageDriver, AutoCloseable {
  /** Metadata that marks the object of an appended file: its bytes are in its segments. */
  static final String APPENDED = "berth-appended";
  /** The largest object one CopyObject may copy. */
  static final long MAX_COPY = 5L << 30;
  /** Segments without a file younger than this may belong to a live writer in another process (see appender). */
  static final Duration ORPHAN_AGE = Duration.ofHours(1);
  /**
   * How long one attempt of a request that moves no bulk data may take (HEAD, LIST, DELETE, a small PUT, starting or
   * aborting a multipart upload, the headers of a GET: the body of a GET is read after, under the socket timeout
   * only) before the SDK cuts it and retries; and how long the whole call may take, retries and backoff included.
   * An S3 that hangs costs a registry request {@link #CALL_TIMEOUT} before it fails with a 503, not the 3 minutes
   * of three attempts each waiting out the socket timeout.
   */
  static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(10);
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
  /**
   * A connection that sends no byte for this long is dead. This alone bounds the requests that move or assemble bulk
   * data (a part or a staged file going up, a copy, completing a multipart upload), which take as long as their size
   * needs; AWS keeps long copies and completions talking (whitespace) while it works.
   */
  static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(60);
  /** For the bulk requests: the limits above would cut a large part on a slow link, or a copy of gigabytes. */
  static final AwsRequestOverrideConfiguration BULK = AwsRequestOverrideConfiguration.builder()
      .apiCallAttemptTimeout(Duration.ofHours(1))
      .apiCallTimeout(Duration.ofHours(3))
      .build();

  private final S3Client client;
  /** Signs download URLs, when redirects are on; null otherwise. */
  private final S3Presigner presigner;
  private final S3Settings settings;
  private final String bucket;
  private final S3Keys keys;
  private final ExecutorService uploads =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("berth-s3-part-", 0).factory());
  /** Whether segments are written with {@code If-None-Match: *}; cleared if the store refuses it (see ObjectSink). */
  private final AtomicBoolean createOnlySegments = new AtomicBoolean(true);
  private final PendingAborts aborts;

  S3Driver(S3Client client, S3Presigner presigner, S3Settings settings) {
    this.client = client;
    this.presigner = presigner;
    this.settings = settings;
    this.bucket = settings.bucket();
    this.keys = new S3Keys(settings.prefix());
    this.aborts = new PendingAborts(client, bucket);
  }

  /** A driver with its own client, as the settings say. */
  public static S3Driver create(S3Settings settings) {
    var builder = S3Client.builder()
        .region(Region.of(settings.region()))
        .forcePathStyle(settings.pathStyle())
        .credentialsProvider(credentials(settings))
        // S3-compatible stores don't all know the SDK's newer default checksums; S3 needs them only when asked.
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        // Throttling, 5xx and broken connections are retried (3 attempts, with backoff and jitter).
        .overrideConfiguration(o -> o.retryStrategy(RetryMode.STANDARD)
            .apiCallAttemptTimeout(ATTEMPT_TIMEOUT)
            .apiCallTimeout(CALL_TIMEOUT))
        .httpClientBuilder(Apache5HttpClient.builder()
            .maxConnections(Math.max(64, settings.concurrency() * 16))
            .connectionTimeout(Duration.ofSeconds(5))
            .socketTimeout(SOCKET_TIMEOUT));
    if (!settings.endpoint().isEmpty()) {
      builder.endpointOverride(URI.create(settings.endpoint()));
    }
    S3Presigner presigner = null;
    if (settings.redirectMinutes() > 0) {
      var signer = S3Presigner.builder()
          .region(Region.of(settings.region()))
          .credentialsProvider(credentials(settings))
          .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(settings.pathStyle()).build());
      if (!settings.endpoint().isEmpty()) {
        signer.endpointOverride(URI.create(settings.endpoint()));
      }
      presigner = signer.build();
    }
    return new S3Driver(builder.build(), presigner, settings);
  }

  private static AwsCredentialsProvider credentials(S3Settings settings) {
    if (!settings.accessKey().isEmpty()) {
      return StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(), settings.secretKey()));
    }
    return DefaultCredentialsProvider.builder().build(); // environment, profile, instance or container role
  }

  @Override
  public String toString() {
    return "s3 " + (settings.endpoint().isEmpty() ? "" : settings.endpoint() + " ") + "bucket " + bucket
        + (settings.prefix().isEmpty() ? "" : " prefix " + settings.prefix());
  }

  @Override
  public Optional<Long> size(String path) throws IOException {
    Optional<HeadObjectResponse> head = head(keys.file(path));
    if (head.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(isAppended(head.get()) ? end(segments(path)) : head.get().contentLength());
  }

  @Override
  public byte[] getContent(String path) throws IOException {
    String key = keys.file(path);
    try (var object = client.getObject(b -> b.bucket(bucket).key(key))) {
      if (isAppended(object.response().metadata())) {
        object.abort();
        try (SeekableByteChannel channel = reader(path, 0)) {
          return readAll(channel);
        }
      }
      return object.readAllBytes();
    } catch (RuntimeException e) {
      throw S3Failures.io(path, e);
    }
  }

  @Override
  public void putContent(String path, byte[] content) throws IOException {
    String key = keys.file(path);
    try {
      client.putObject(PutObjectRequest.builder().bucket(bucket).key(key).build(), RequestBody.fromBytes(content));
    } catch (RuntimeException e) {
      throw S3Failures.io("PUT " + path, e);
    }
  }

  @Override
  public SeekableByteChannel reader(String path, long offset) throws IOException {
    String key = keys.file(path);
    HeadObjectResponse head = head(key).orElseThrow(() -> new PathNotFoundException(path));
    List<S3ReadChannel.Piece> pieces = isAppended(head)
        ? segments(path)
        : List.of(new S3ReadChannel.Piece(key, 0, head.contentLength()));
    return new S3ReadChannel(client, bucket, pieces, offset);
  }

  @Override
  public FileWriter appender(String path) throws IOException {
    String key = keys.file(path);
    Optional<HeadObjectResponse> head = head(key);
    long size;
    if (head.isPresent() && isAppended(head.get())) {
      size = end(segments(path));
    } else {
      if (head.isEmpty()) {
        deleteOrphanedSegments(path);
      } else {
        deletePrefix(keys.segments(path)); // left by an appended file this path held before it was replaced whole
      }
      size = head.map(HeadObjectResponse::contentLength).orElse(0L);
      if (size > 0) {
        copy(key, size, keys.segment(path, 0)); // a whole file becomes the first segment
      }
      try {
        client.putObject(PutObjectRequest.builder().bucket(bucket).key(key).metadata(Map.of(APPENDED, "true")).build(),
            RequestBody.empty());
      } catch (RuntimeException e) {
        throw S3Failures.io("PUT " + path, e);
      }
    }
    return new SegmentWriter(size, offset -> segmentSink(keys.segment(path, offset)));
  }

  /**
   * Deletes segments found at a path that has no file: left by a crash, or by a writer that committed after the file
   * was deleted. A young one may instead be a writer's in another process that created the file just after this
   * one found none, and has committed since: deleting it would let this writer put other bytes at its offset under
   * the other process's hash. So a young segment is a conflict, not garbage.
   */
  private void deleteOrphanedSegments(String path) throws IOException {
    Instant youngAfter = Instant.now().minus(ORPHAN_AGE);
    List<String> orphaned = new ArrayList<>();
    try {
      for (ListObjectsV2Response page : client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(
          keys.segments(path)))) {
        for (S3Object object : page.contents()) {
          if (object.lastModified() == null || object.lastModified().isAfter(youngAfter)) {
            throw new WriteConflictException(path + " is being created by another writer");
          }
          orphaned.add(object.key());
        }
      }
    } catch (RuntimeException e) {
      throw S3Failures.io("LIST segments of " + path, e);
    }
    deleteKeys(orphaned);
  }

  /** A segment is written once: a second writer at the same offset (in another process) fails at commit. */
  private ObjectSink segmentSink(String key) {
    return new ObjectSink(client, bucket, key, settings.partSize(), settings.concurrency(), uploads, aborts,
        createOnlySegments);
  }


  @Override
  public List<String> list(String directory) throws IOException {
    String prefix = keys.directory(directory);
    TreeSet<String> names = new TreeSet<>();
    try {
      ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).delimiter("/");
      for (ListObjectsV2Response page : client.listObjectsV2Paginator(request.build())) {
        for (S3Object object : page.contents()) {
          names.add(object.key().substring(prefix.length()));
        }
        for (CommonPrefix common : page.commonPrefixes()) {
          String name = common.prefix().substring(prefix.length());
          names.add(name.substring(0, name.length() - 1));
        }
      }
    } catch (RuntimeException e) {
      throw S3Failures.io("LIST " + directory, e);
    }
    names.remove("");
    return List.copyOf(names);
  }

  @Override
  public void move(String source, String destination) throws IOException {
    move(source, destination, -1);
  }

  /**
   * Of an appended file, composes exactly the segments that make up its first {@code size} bytes: segments are
   * written once each, so those are the bytes a caller read before, whatever was appended since.
   */
  @Override
  public void move(String source, String destination, long size) throws IOException {
    String from = keys.file(source);
    String to = keys.file(destination);
    HeadObjectResponse head = head(from).orElseThrow(() -> new PathNotFoundException(source));
    if (isAppended(head)) {
      List<S3ReadChannel.Piece> pieces = segments(source);
      if (size >= 0) {
        Optional<List<S3ReadChannel.Piece>> first = firstBytes(pieces, size);
        if (first.isEmpty()) {
          throw new IOException(source + " does not start with a run of segments of " + size + " bytes (it has "
              + end(pieces) + ")");
        }
        pieces = first.get();
      }
      new SegmentComposer(client, bucket, settings, uploads, aborts).compose(pieces, to);
    } else {
      if (size >= 0 && head.contentLength() != size) {
        throw new IOException(source + " has " + head.contentLength() + " bytes, not " + size);
      }
      copy(from, head.contentLength(), to);
    }
    delete(source);
  }

  /** The leading pieces that end exactly at {@code size}, if they do. */
  private static Optional<List<S3ReadChannel.Piece>> firstBytes(List<S3ReadChannel.Piece> pieces, long size) {
    if (size == 0) {
      return Optional.of(List.of());
    }
    for (int i = 0; i < pieces.size(); i++) {
      if (pieces.get(i).end() == size) {
        return Optional.of(pieces.subList(0, i + 1));
      }
      if (pieces.get(i).end() > size) {
        break;
      }
    }
    return Optional.empty();
  }

  /**
   * Deletes what a listing finds (the file's own key and everything under it as a directory), never a key named
   * blindly: stores that keep objects as files fail a delete of a key below a file.
   */
  @Override
  public void delete(String path) throws IOException {
    String key = keys.file(path);
    List<String> doomed = new ArrayList<>();
    for (String found : keysUnder(key)) {
      if (found.equals(key) || found.startsWith(key + "/")) { // not "x-y" for "x"
        doomed.add(found);
      }
    }
    doomed.addAll(keysUnder(keys.segments(path)));
    deleteKeys(doomed);
  }

  /** A presigned GET of the object, when redirects are on. Only whole files: appended ones are not blobs. */
  @Override
  public Optional<URI> directUrl(String path) {
    if (presigner == null) {
      return Optional.empty();
    }
    String key = keys.file(path);
    var presigned = presigner.presignGetObject(GetObjectPresignRequest.builder()
        .signatureDuration(Duration.ofMinutes(settings.redirectMinutes()))
        .getObjectRequest(b -> b.bucket(bucket).key(key))
        .build());
    try {
      return Optional.of(presigned.url().toURI());
    } catch (java.net.URISyntaxException e) {
      return Optional.empty();
    }
  }

  @Override
  public void close() {
    uploads.shutdownNow();
    aborts.close();
    client.close();
    if (presigner != null) {
      presigner.close();
    }
  }

  private void deletePrefix(String prefix) throws IOException {
    deleteKeys(keysUnder(prefix));
  }

  private List<String> keysUnder(String prefix) throws IOException {
    List<String> found = new ArrayList<>();
    try {
      for (ListObjectsV2Response page : client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix))) {
        page.contents().forEach(o -> found.add(o.key()));
      }
    } catch (RuntimeException e) {
      throw S3Failures.io("LIST " + prefix, e);
    }
    return found;
  }

  private void deleteKeys(List<String> doomed) throws IOException {
    for (int from = 0; from < doomed.size(); from += 1000) {
      List<ObjectIdentifier> batch = doomed.subList(from, Math.min(from + 1000, doomed.size())).stream()
          .map(k -> ObjectIdentifier.builder().key(k).build()).toList();
      try {
        var result = client.deleteObjects(DeleteObjectsRequest.builder().bucket(bucket)
            .delete(Delete.builder().objects(batch).quiet(true).build()).build());
        if (!result.errors().isEmpty()) {
          throw new IOException("S3 delete failed for " + result.errors().get(0).key() + ": "
              + result.errors().get(0).message());
        }
      } catch (RuntimeException e) {
        throw S3Failures.io("DELETE", e);
      }
    }
  }

  /** The segments of an appended file, in order, as far as they run without a gap. */
  private List<S3ReadChannel.Piece> segments(String path) throws IOException {
    List<S3ReadChannel.Piece> pieces = new ArrayList<>();
    long expected = 0;
    try {
      for (ListObjectsV2Response page : client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(
          keys.segments(path)))) {
        for (S3Object object : page.contents()) {
          long offset = S3Keys.offsetOf(object.key());
          if (offset != expected) {
            return pieces; // a segment of a writer that failed midway, or left by a crash: not part of the file
          }
          pieces.add(new S3ReadChannel.Piece(object.key(), offset, object.size()));
          expected = offset + object.size();
        }
      }
    } catch (RuntimeException e) {
      throw S3Failures.io("LIST segments of " + path, e);
    }
    return pieces;
  }

  private static long end(List<S3ReadChannel.Piece> pieces) {
    return pieces.isEmpty() ? 0 : pieces.get(pieces.size() - 1).end();
  }

  /** Server-side copy: one CopyObject up to 5 GiB, a multipart copy beyond. */
  private void copy(String from, long size, String to) throws IOException {
    if (size <= MAX_COPY) {
      try {
        client.copyObject(b -> b.sourceBucket(bucket).sourceKey(from).destinationBucket(bucket).destinationKey(to)
            .overrideConfiguration(BULK));
      } catch (RuntimeException e) {
        throw S3Failures.io("COPY " + from, e);
      }
    } else {
      new SegmentComposer(client, bucket, settings, uploads, aborts)
          .compose(List.of(new S3ReadChannel.Piece(from, 0, size)), to);
    }
  }

  private Optional<HeadObjectResponse> head(String key) throws IOException {
    try {
      return Optional.of(client.headObject(b -> b.bucket(bucket).key(key)));
    } catch (RuntimeException e) {
      if (S3Failures.notFound(e)) {
        return Optional.empty();
      }
      throw S3Failures.io("HEAD " + key, e);
    }
  }

  private static boolean isAppended(HeadObjectResponse head) {
    return isAppended(head.metadata());
  }

  private static boolean isAppended(Map<String, String> metadata) {
    return "true".equals(metadata.get(APPENDED));
  }

  private static byte[] readAll(SeekableByteChannel channel) throws IOException {
    try (InputStream in = java.nio.channels.Channels.newInputStream(channel)) {
      return in.readAllBytes();
    }
  }
}
