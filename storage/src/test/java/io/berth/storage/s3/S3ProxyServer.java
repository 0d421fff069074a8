package io.berth.storage.s3;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3-compatible server for tests: S3Proxy, in this JVM, on 127.0.0.1 with an ephemeral port, storing
 * objects as files in a temporary directory (its {@code filesystem-nio2} blobstore, so large objects never live
 * in the heap), checking AWS Signature V4 with a fixed test key. One bucket is created at start; {@link #close}
 * stops the server and deletes the directory. {@link #stop} and {@link #restart} take it down and bring it back on
 * the same port over the same objects, for tests of what a client of S3 does while S3 is away. Usable from other modules' tests through the storage test-jar
 * (the conformance e2e tests can point a Berth process at {@link #endpoint}).
 *
 * <p>What S3Proxy 4.1.0 over {@code filesystem-nio2} does, probed with the AWS SDK v2 2.57.8 built as
 * {@link #client()} builds it; {@code S3ProxyServerTest} keeps checking each point:
 *
 * <ul>
 *   <li><b>Multipart upload</b>: create, UploadPart, ListParts, complete, abort and ListMultipartUploads work;
 *       nothing is visible at the key before complete, and parts in progress are not listed as objects;
 *       completed and aborted uploads leave no entry in ListMultipartUploads (a completion refused with 412
 *       leaves the upload open, as on AWS: abort it). A part below 5 MiB other than the last is refused at
 *       complete with {@code EntityTooSmall}, as on AWS.
 *   <li><b>UploadPartCopy</b> works, whole-object and with {@code x-amz-copy-source-range}; a range reaching
 *       past the source's end is refused with 416.
 *   <li><b>CopyObject</b> works, replacing the destination, and honours {@code x-amz-copy-source-if-match}.
 *       S3Proxy does <em>not</em> enforce AWS's 5 GiB copy limits: a 6 GiB CopyObject succeeded, and so did a
 *       whole-object UploadPartCopy of it (only a copy <em>range</em> above 5 GiB is refused). A driver must
 *       switch to ranged UploadPartCopy above 5 GiB by itself; these tests can't catch it if it doesn't.
 *   <li><b>ListObjectsV2</b> pages at 1,000 keys at most ({@code maxKeys} above is capped), with
 *       {@code isTruncated} and continuation tokens; smaller {@code maxKeys} is honoured; with a delimiter,
 *       common prefixes count toward the page and page correctly. Order is UTF-8 binary.
 *   <li><b>DeleteObjects</b> (batch, up to 1,000 keys, quiet too) works, with the {@code x-amz-checksum-crc32}
 *       header the SDK sends (this call requires a checksum, even under {@code WHEN_REQUIRED}); missing keys are
 *       reported deleted. (S3Proxy 3.x refused that header with 501.)
 *   <li><b>Conditional requests</b>: PutObject honours {@code If-None-Match: *} (412 when the key exists) and
 *       {@code If-Match} (412 on another ETag, 404 when the key is missing); CompleteMultipartUpload honours
 *       both too; GetObject honours If-Match (412) and If-None-Match (304).
 *   <li><b>Ranged GET</b>: {@code bytes=N-} and {@code bytes=N-M} work; a range starting at or after the end is
 *       refused with 416 {@code InvalidRange}, as on AWS, and so is {@code bytes=0-} on an empty object: a
 *       reader positioned at the end must not ask.
 *   <li>Content-MD5 is verified (400 when wrong).
 * </ul>
 *
 * Where it differs from S3: objects are files, so a key can't be both an object and a prefix. With {@code a/b}
 * stored, PUT (or copy onto) {@code a} fails with 500; once no key is under {@code a/} its directory goes and
 * {@code a} is free. DELETE of {@code a} meanwhile is fine (204), but DELETE of a key <em>below an object</em>
 * ({@code a/b/c} with {@code a/b} an object), single or in a batch, fails with 500 (AWS: 204); HEAD, GET, copy
 * and listing treat such keys as missing. A driver must not keep side objects under {@code <key>/}, and one
 * that deletes what listing found, rather than the path it was given, never sends such a DELETE.
 *
 * <p>An SDK client must be built as {@link #client()} builds it: path-style, region us-east-1, endpoint override,
 * and request checksums / response validation only {@code WHEN_REQUIRED} (S3Proxy, like MinIO, does not take
 * the SDK's default trailing checksums on every request).
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String ACCESS_KEY = "BERTHTESTACCESSKEY01";
  public static final String SECRET_KEY = "berth/test/secret/key/0123456789abcdefghij";
  public static final String REGION = "us-east-1";
  public static final String DEFAULT_BUCKET = "berth-test";

  private final Path directory;
  private final BlobStore blobStore;
  private final URI endpoint;
  private final String bucket;
  /** The running server; null while stopped. */
  private S3Proxy proxy;

  private S3ProxyServer(Path directory, BlobStore blobStore, S3Proxy proxy, String bucket) {
    this.directory = directory;
    this.blobStore = blobStore;
    this.proxy = proxy;
    this.endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    this.bucket = bucket;
  }

  /** Starts a server with the bucket {@value #DEFAULT_BUCKET}. */
  public static S3ProxyServer start() throws Exception {
    return start(DEFAULT_BUCKET);
  }

  /** Starts a server on loopback with one empty bucket. */
  public static S3ProxyServer start(String bucket) throws Exception {
    Path directory = Files.createTempDirectory("berth-s3proxy-");
    BlobStore blobStore = null;
    S3Proxy proxy = null;
    try {
      blobStore = new FilesystemNio2BlobStore(directory.toString());
      proxy = startProxy(blobStore, 0);
      S3ProxyServer server = new S3ProxyServer(directory, blobStore, proxy, bucket);
      server.createBucket(bucket);
      return server;
    } catch (Exception | Error e) {
      if (proxy != null) {
        try {
          proxy.stop();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      if (blobStore != null) {
        blobStore.close();
      }
      deleteTree(directory);
      throw e;
    }
  }

  private static S3Proxy startProxy(BlobStore blobStore, int port) throws Exception {
    S3Proxy proxy = S3Proxy.builder()
        .blobStore(blobStore)
        .endpoint(URI.create("http://127.0.0.1:" + port))
        .awsAuthentication(AuthenticationType.AWS_V4, ACCESS_KEY, SECRET_KEY)
        .build();
    proxy.start();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!proxy.getState().equals("STARTED")) {
      if (System.nanoTime() > deadline) {
        proxy.stop();
        throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
      }
      Thread.sleep(10);
    }
    return proxy;
  }

  /**
   * Stops serving, as an S3 that went away: connections are refused from now on (those open are closed), while the
   * objects stay, and so does the port, for {@link #restart}.
   */
  public synchronized void stop() throws Exception {
    if (proxy != null) {
      S3Proxy stopping = proxy;
      proxy = null;
      stopping.stop();
    }
  }

  /**
   * Serves again after {@link #stop}, on the same port over the same objects (multipart uploads left open included),
   * as an S3 that came back. Waits for the port, which the stopped server may take a moment to give up.
   */
  public synchronized void restart() throws Exception {
    if (proxy != null) {
      throw new IllegalStateException("S3Proxy still runs at " + endpoint);
    }
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      try {
        proxy = startProxy(blobStore, endpoint.getPort());
        return;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(50); // the port is not free yet
      }
    }
  }

  /** Whether it serves (not {@link #stop}ped). */
  public synchronized boolean running() {
    return proxy != null;
  }

  /** Where the server listens: {@code http://127.0.0.1:<port>}. */
  public URI endpoint() {
    return endpoint;
  }

  public String bucket() {
    return bucket;
  }

  public String accessKey() {
    return ACCESS_KEY;
  }

  public String secretKey() {
    return SECRET_KEY;
  }

  public String region() {
    return REGION;
  }

  /** Where the objects are kept, one file each (for tests that look behind the API). */
  public Path directory() {
    return directory;
  }

  /** Creates another bucket. */
  public void createBucket(String name) {
    try (S3Client s3 = client()) {
      s3.createBucket(b -> b.bucket(name));
    }
  }

  /** A new SDK client for this server, configured as any client of it must be; the caller closes it. */
  public S3Client client() {
    return S3Client.builder()
        .endpointOverride(endpoint)
        .region(Region.of(REGION))
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .httpClientBuilder(Apache5HttpClient.builder())
        .build();
  }

  @Override
  public void close() throws Exception {
    try {
      stop();
    } finally {
      blobStore.close();
      deleteTree(directory);
    }
  }

  @Override
  public String toString() {
    return "S3Proxy at " + endpoint + ", bucket " + bucket + ", files in " + directory;
  }

  private static void deleteTree(Path root) throws IOException {
    if (Files.notExists(root)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
        if (exc instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE;
        }
        throw exc;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
        Files.deleteIfExists(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
