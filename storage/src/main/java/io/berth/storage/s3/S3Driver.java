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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The S3 backend (AWS S3, or any S3-compatible store: MinIO, Ceph, S3Proxy). Layout in {@link S3Keys}: files
 * are objects; an appended file (an upload in progress) is an empty object naming its segment group, which holds one
 * segment object per committed write. Moving an appended file (publishing a finished upload under its digest)
 * copies nothing: the destination becomes an empty object naming the same group and how many of its bytes are the
 * file, and the group's {@code owner} object passes it on, so deleting the source's leftovers keeps it. Every write
 * becomes visible whole (a PUT, a completed multipart upload), and a returned write is durable, as S3 acknowledges
 * only stored objects.
 */
public final class S3Driver implements StorageDriver, AutoCloseable {
  /** Metadata of an appended file's object: the group its bytes are in, as many as the segments run. */
  static final String APPENDED = "berth-appended";
  /** Metadata of a file moved from an appended one: the group its bytes are in, and how many ({@link #SIZE}). */
  static final String SEGMENTS = "berth-segments";
  static final String SIZE = "berth-size";
  /** Metadata of a moved file: the lengths of its segments, comma-separated, when they fit in {@link #MAX_LENGTHS}. */
  static final String LENGTHS = "berth-lengths";
  static final int MAX_LENGTHS = 1536;
  /** The largest object one CopyObject may copy. */
  static final long MAX_COPY = 5L << 30;
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
  private final CreateOnlyWrites createOnly = new CreateOnlyWrites();
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
    Map<String, String> metadata = head.get().metadata();
    if (metadata.containsKey(APPENDED)) {
      return Optional.of(end(segments(metadata.get(APPENDED))));
    }
    if (metadata.containsKey(SEGMENTS)) {
      return Optional.of(Long.parseLong(metadata.get(SIZE)));
    }
    return Optional.of(head.get().contentLength());
  }

  /** One HEAD: the size of an appended file would also list its segments. */
  @Override
  public boolean exists(String path) throws IOException {
    return head(keys.file(path)).isPresent();
  }

  @Override
  public byte[] getContent(String path) throws IOException {
    String key = keys.file(path);
    try (var object = client.getObject(b -> b.bucket(bucket).key(key))) {
      if (group(object.response().metadata()).isPresent()) {
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

  /**
   * Sends the GET of the file's object (ranged from {@code offset}) at once, without a HEAD first. A moved file's
   * (empty) object lists its segments in its metadata, so a blob download is two requests to S3: that list, and the
   * bytes (three for a range: S3 refuses the range of an empty object, and a HEAD reads the list instead).
   */
  @Override
  public SeekableByteChannel reader(String path, long offset) throws IOException {
    String key = keys.file(path);
    ResponseInputStream<GetObjectResponse> object = get(path, offset);
    if (object == null) { // 416: the range starts at or past the end of the object (a group's is empty)
      HeadObjectResponse head = head(key).orElseThrow(() -> new PathNotFoundException(path));
      return new S3ReadChannel(client, bucket, pieces(path, head), offset);
    }
    Map<String, String> metadata = object.response().metadata();
    if (metadata.containsKey(SEGMENTS) || metadata.containsKey(APPENDED)) {
      closeEmpty(object);
      return new S3ReadChannel(client, bucket, metadata.containsKey(SEGMENTS) ? moved(path, metadata)
          : segments(metadata.get(APPENDED)), offset);
    }
    String range = object.response().contentRange(); // "bytes 5-9/10" when ranged
    long size = range == null ? object.response().contentLength()
        : Long.parseLong(range.substring(range.lastIndexOf('/') + 1));
    return new S3ReadChannel(client, bucket, new S3ReadChannel.Piece(key, 0, size), offset, object);
  }

  /** Closes the GET of an object that names a group: read to its (empty) end, its connection goes on serving. */
  private static void closeEmpty(ResponseInputStream<GetObjectResponse> object) {
    try (object) {
      if (object.readNBytes(1).length > 0) {
        object.abort(); // not empty after all (not ours): don't read it through
      }
    } catch (IOException | RuntimeException e) {
      object.abort();
    }
  }

  /** A GET of a file's object from {@code offset}; null when S3 answers that the range is not satisfiable. */
  private ResponseInputStream<GetObjectResponse> get(String path, long offset) throws IOException {
    String key = keys.file(path);
    try {
      return client.getObject(b -> b.bucket(bucket).key(key).range(offset > 0 ? "bytes=" + offset + "-" : null));
    } catch (RuntimeException e) {
      if (S3Failures.notFound(e)) {
        throw new PathNotFoundException(path);
      }
      if (offset > 0 && e instanceof S3Exception s3 && s3.statusCode() == 416) {
        return null;
      }
      throw S3Failures.io("GET " + path, e);
    }
  }

  /**
   * The segments of a moved file, from its object's metadata: the lengths of its segments, in order, when they fit
   * there (S3 takes 2 KB of metadata: about 150 segments); else listed.
   */
  private List<S3ReadChannel.Piece> moved(String path, Map<String, String> metadata) throws IOException {
    String group = metadata.get(SEGMENTS);
    long size = Long.parseLong(metadata.get(SIZE));
    List<S3ReadChannel.Piece> pieces;
    if (metadata.containsKey(LENGTHS)) {
      pieces = new ArrayList<>();
      long start = 0;
      for (String length : metadata.get(LENGTHS).split(",")) {
        pieces.add(new S3ReadChannel.Piece(keys.segment(group, start), start, Long.parseLong(length)));
        start += Long.parseLong(length);
      }
    } else {
      pieces = segments(group);
    }
    return firstBytes(pieces, size).orElseThrow(() -> new IOException(
        "S3 " + path + " is damaged: the segments of its " + size + " bytes are not all there"));
  }

  /** The metadata of a moved file's object. */
  private static Map<String, String> movedMetadata(String group, List<S3ReadChannel.Piece> pieces) {
    String lengths = pieces.stream().map(p -> Long.toString(p.length())).collect(Collectors.joining(","));
    String size = Long.toString(end(pieces));
    return lengths.length() <= MAX_LENGTHS
        ? Map.of(SEGMENTS, group, SIZE, size, LENGTHS, lengths)
        : Map.of(SEGMENTS, group, SIZE, size);
  }

  /** Where a file's bytes are: its own object, or segments. */
  private List<S3ReadChannel.Piece> pieces(String path, HeadObjectResponse head) throws IOException {
    Map<String, String> metadata = head.metadata();
    if (metadata.containsKey(APPENDED)) {
      return segments(metadata.get(APPENDED));
    }
    if (metadata.containsKey(SEGMENTS)) {
      return moved(path, metadata);
    }
    return List.of(new S3ReadChannel.Piece(keys.file(path), 0, head.contentLength()));
  }

  @Override
  public FileWriter appender(String path) throws IOException {
    String key = keys.file(path);
    for (int attempt = 0; ; attempt++) {
      Optional<HeadObjectResponse> head = head(key);
      if (head.isPresent() && head.get().metadata().containsKey(APPENDED)) {
        String group = head.get().metadata().get(APPENDED);
        return new SegmentWriter(end(segments(group)), offset -> segmentSink(keys.segment(group, offset)));
      }
      String group = S3Keys.newGroup(path);
      long size = 0;
      if (head.isPresent()) { // a whole file becomes the first segment of the appended one
        List<S3ReadChannel.Piece> pieces = pieces(path, head.get());
        size = end(pieces);
        if (size > 0) {
          new SegmentComposer(client, bucket, settings, uploads, aborts).compose(pieces, keys.segment(group, 0));
        }
      }
      if (createAppended(key, group, head.isEmpty())) {
        if (head.isPresent()) {
          release(path, head.get());
        }
        return new SegmentWriter(size, offset -> segmentSink(keys.segment(group, offset)));
      }
      if (attempt == 2) { // created and deleted again by others, twice, between our HEAD and PUT
        throw new WriteConflictException(path + " is being created and deleted by other writers");
      }
    }
  }

  /**
   * Writes the object of an appended file. Only when {@code createOnly}: two processes that both found no file
   * and create it at once would each start a group and lose the other's segments, so the second one's create fails
   * and it joins the first one's file instead.
   *
   * @return false when another process created the file first
   */
  private boolean createAppended(String key, String group, boolean createOnly) throws IOException {
    java.util.function.Consumer<String> put = ifNoneMatch -> client.putObject(PutObjectRequest.builder()
        .bucket(bucket).key(key).ifNoneMatch(ifNoneMatch).metadata(Map.of(APPENDED, group)).build(),
        RequestBody.empty());
    try {
      if (createOnly) {
        return this.createOnly.create(put);
      }
      put.accept(null);
      return true;
    } catch (RuntimeException e) {
      throw S3Failures.io("PUT " + key, e);
    }
  }

  /** A segment is written once: a second writer at the same offset (in another process) fails at commit. */
  private ObjectSink segmentSink(String key) {
    return new ObjectSink(client, bucket, key, settings.partSize(), settings.concurrency(), uploads, aborts,
        createOnly);
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
   * Of an appended file, moves exactly the segments that make up its first {@code size} bytes: segments are written
   * once each, so those are the bytes a caller read before, whatever was appended since. Copies nothing: the
   * destination names the source's group, which the {@code owner} object hands over before the destination appears,
   * so that no delete of the source's path (an upload's session, purged or finished) can take the bytes with it.
   */
  @Override
  public void move(String source, String destination, long size) throws IOException {
    String from = keys.file(source);
    String to = keys.file(destination);
    HeadObjectResponse head = head(from).orElseThrow(() -> new PathNotFoundException(source));
    List<S3ReadChannel.Piece> pieces = pieces(source, head);
    if (size >= 0) {
      pieces = firstBytes(pieces, size).orElseThrow(() -> new IOException(source + " does not start with a run of"
          + " segments of " + size + " bytes"));
    }
    Optional<String> group = group(head.metadata());
    Optional<HeadObjectResponse> replaced = head(to);
    boolean handedOver = group.isPresent() && !pieces.isEmpty();
    if (handedOver) {
      put(keys.owner(group.get()), destination.getBytes(StandardCharsets.UTF_8), Map.of());
      put(to, new byte[0], movedMetadata(group.get(), pieces));
    } else if (group.isPresent()) {
      putContent(destination, new byte[0]);
    } else {
      if (size >= 0 && head.contentLength() != size) {
        throw new IOException(source + " has " + head.contentLength() + " bytes, not " + size);
      }
      copy(from, head.contentLength(), to);
    }
    if (replaced.isPresent()) {
      release(destination, replaced.get());
    }
    if (handedOver) {
      deleteKeys(List.of(from)); // the group is the destination's now
    } else {
      delete(source);
    }
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
   * blindly: stores that keep objects as files fail a delete of a key below a file. With them go the segment groups
   * the deleted files own, and the groups created under the path that no file owns any more (a writer that
   * committed after its file was deleted, a crash midway); a group moved away to a file that is kept stays.
   */
  @Override
  public void delete(String path) throws IOException {
    String key = keys.file(path);
    Set<String> doomed = new LinkedHashSet<>();
    Set<String> deletedPaths = new HashSet<>();
    for (S3Object found : objectsUnder(key)) {
      if (found.key().equals(key) || found.key().startsWith(key + "/")) { // not "x-y" for "x"
        doomed.add(found.key());
        deletedPaths.add(keys.path(found.key()));
        if (found.size() == 0) { // only the object of an appended or moved file is empty and names a group
          Optional<String> group = head(found.key()).flatMap(h -> group(h.metadata()));
          if (group.isPresent() && owner(group.get()).equals(keys.path(found.key()))) {
            objectsUnder(keys.group(group.get())).forEach(o -> doomed.add(o.key()));
          }
        }
      }
    }
    Map<String, List<String>> groups = new LinkedHashMap<>();
    for (S3Object found : objectsUnder(keys.groupsUnder(path))) {
      groups.computeIfAbsent(keys.groupOf(found.key()), g -> new ArrayList<>()).add(found.key());
    }
    for (Map.Entry<String, List<String>> group : groups.entrySet()) {
      String owner = owner(group.getKey());
      if (deletedPaths.contains(owner) || !names(owner, group.getKey())) {
        doomed.addAll(group.getValue());
      }
    }
    deleteKeys(List.copyOf(doomed));
  }

  /** After a file was replaced: deletes the group it named, if it owned it. */
  private void release(String path, HeadObjectResponse replaced) throws IOException {
    Optional<String> group = group(replaced.metadata());
    if (group.isPresent() && owner(group.get()).equals(path) && !names(path, group.get())) {
      deleteKeys(objectsUnder(keys.group(group.get())).stream().map(S3Object::key).toList());
    }
  }

  /** The path a group belongs to: where it was moved last, else the path that created it. */
  private String owner(String group) throws IOException {
    try {
      return new String(client.getObjectAsBytes(b -> b.bucket(bucket).key(keys.owner(group))).asByteArray(),
          StandardCharsets.UTF_8);
    } catch (RuntimeException e) {
      if (S3Failures.notFound(e)) {
        return S3Keys.creator(group);
      }
      throw S3Failures.io("GET owner of " + group, e);
    }
  }

  /** Whether the file at a path is (now) the one that holds its bytes in a group. */
  private boolean names(String path, String group) throws IOException {
    return head(keys.file(path)).flatMap(h -> group(h.metadata())).filter(group::equals).isPresent();
  }

  /**
   * A presigned GET of the object, when redirects are on: of the file's own object, or of its segment when a moved
   * upload came in one piece (docker's, buildx's, podman's way). A blob pushed in several chunks is served by Berth.
   */
  @Override
  public Optional<URI> directUrl(String path) {
    if (presigner == null) {
      return Optional.empty();
    }
    List<S3ReadChannel.Piece> pieces;
    try {
      Optional<HeadObjectResponse> head = head(keys.file(path));
      if (head.isEmpty()) {
        return Optional.empty();
      }
      pieces = pieces(path, head.get());
    } catch (IOException e) {
      return Optional.empty(); // served by Berth, which answers the failure
    }
    if (pieces.size() != 1) {
      return Optional.empty();
    }
    String key = pieces.get(0).key();
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

  private List<S3Object> objectsUnder(String prefix) throws IOException {
    List<S3Object> found = new ArrayList<>();
    try {
      for (ListObjectsV2Response page : client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix))) {
        found.addAll(page.contents());
      }
    } catch (RuntimeException e) {
      throw S3Failures.io("LIST " + prefix, e);
    }
    return found;
  }

  private void put(String key, byte[] content, Map<String, String> metadata) throws IOException {
    try {
      client.putObject(PutObjectRequest.builder().bucket(bucket).key(key).metadata(metadata).build(),
          RequestBody.fromBytes(content));
    } catch (RuntimeException e) {
      throw S3Failures.io("PUT " + key, e);
    }
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

  /** The segments of a group, in order, as far as they run without a gap. */
  private List<S3ReadChannel.Piece> segments(String group) throws IOException {
    List<S3ReadChannel.Piece> pieces = new ArrayList<>();
    long expected = 0;
    try {
      // Only the group's own objects: not those of a group created under a path below the creator's.
      for (ListObjectsV2Response page : client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(
          keys.group(group)).delimiter("/"))) {
        for (S3Object object : page.contents()) {
          if (!S3Keys.isSegment(object.key())) {
            continue; // the owner
          }
          long offset = S3Keys.offsetOf(object.key());
          if (offset != expected) {
            return pieces; // a segment of a writer that failed midway, or left by a crash: not part of the file
          }
          pieces.add(new S3ReadChannel.Piece(object.key(), offset, object.size()));
          expected = offset + object.size();
        }
      }
    } catch (RuntimeException e) {
      throw S3Failures.io("LIST segments of " + group, e);
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

  /** The segment group a file's object names, if it is an appended or a moved file. */
  private static Optional<String> group(Map<String, String> metadata) {
    return Optional.ofNullable(metadata.getOrDefault(APPENDED, metadata.get(SEGMENTS)));
  }

  private static byte[] readAll(SeekableByteChannel channel) throws IOException {
    try (InputStream in = java.nio.channels.Channels.newInputStream(channel)) {
      return in.readAllBytes();
    }
  }
}
