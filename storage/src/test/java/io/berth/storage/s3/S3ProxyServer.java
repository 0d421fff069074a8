package io.berth.storage.s3;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3-compatible server for tests: S3Proxy, in this JVM, on 127.0.0.1 with an ephemeral port, storing
 * objects as files in a temporary directory (jclouds provider {@code filesystem-nio2}, so large objects never
 * live in the heap), checking AWS Signature V4 with a fixed test key. One bucket is created at start;
 * {@link #close} stops the server and deletes the directory. Usable from other modules' tests through the
 * storage test-jar (the conformance e2e tests can point a Berth process at {@link #endpoint}).
 *
 * <p>What S3Proxy 3.1.0 over {@code filesystem-nio2} does, probed with the AWS SDK v2 2.57.8 built as
 * {@link #client()} builds it; {@code S3ProxyServerTest} keeps checking each point:
 *
 * <ul>
 *   <li><b>Multipart upload</b>: create, UploadPart, ListParts, complete, abort and ListMultipartUploads work;
 *       nothing is visible at the key before complete; completed and aborted uploads leave no entry in
 *       ListMultipartUploads. A part below 5 MiB other than the last is refused at complete with
 *       {@code EntityTooSmall}, as on AWS.
 *   <li><b>UploadPartCopy</b> works, whole-object and with {@code x-amz-copy-source-range}; a range reaching
 *       past the source's end is refused with 416.
 *   <li><b>CopyObject</b> works, replacing the destination, and honours {@code x-amz-copy-source-if-match}.
 *       S3Proxy has no 5 GiB limit on it (it checks its 5 GiB single-part limit on PutObject only; not probed
 *       with such an object): a driver must still switch to UploadPartCopy above 5 GiB for AWS.
 *   <li><b>ListObjectsV2</b> pages at 1,000 keys at most ({@code maxKeys} above is capped), with
 *       {@code isTruncated} and continuation tokens; smaller {@code maxKeys} is honoured; with a delimiter,
 *       common prefixes count toward the page and page correctly. Order is UTF-8 binary.
 *   <li><b>DeleteObjects</b> (batch, up to 1,000 keys, quiet too) works; missing keys are reported deleted.
 *       The SDK sends it with an {@code x-amz-checksum-crc32} header (a checksum is required for this call,
 *       even under {@code WHEN_REQUIRED}, and {@code LegacyMd5Plugin} adds Content-MD5 but keeps the CRC32);
 *       S3Proxy knows only CRC64NVME and answers 501 NotImplemented to an unknown header. So this server is
 *       started with {@code ignoreUnknownHeaders}: it then ignores the header (AWS, MinIO and others verify it).
 *   <li><b>Conditional requests</b>: PutObject honours {@code If-None-Match: *} (412 when the key exists) and
 *       {@code If-Match} (412 on another ETag, 404 when the key is missing); GetObject honours If-Match (412)
 *       and If-None-Match (304). CompleteMultipartUpload <em>ignores</em> {@code If-None-Match: *} (AWS: 412).
 *   <li><b>Ranged GET</b>: {@code bytes=N-} and {@code bytes=N-M} work; a range starting at or after the end is
 *       refused with 416 {@code InvalidRange}, as on AWS, and so is {@code bytes=0-} on an empty object: a
 *       reader positioned at the end must not ask.
 * </ul>
 *
 * Where it differs from S3, beyond the above:
 *
 * <ul>
 *   <li>Objects are files, so a key can't be both an object and a prefix: with {@code a/b} stored, PUT
 *       {@code a} fails with 500; once no key is under {@code a/} its directory goes. A driver must not keep
 *       side objects under {@code <key>/}.
 *   <li>DELETE (single, or in a DeleteObjects batch) of a key that is such a directory ({@code a} above), or
 *       of a key below an object ({@code a/b/c} with {@code a/b} an object), fails with 500 (AWS: 204). HEAD,
 *       GET and copy of such keys answer 404, and listing under them is empty. A driver that deletes what
 *       listing found, rather than the path it was given, never sends those.
 *   <li>Multipart uploads in progress keep their parts as {@code .mpus-<uploadId>-<key>-<n>} objects at the
 *       bucket's root, which ListObjectsV2 shows there (not under the driver's prefix).
 *   <li>A Content-Type with parameters ({@code text/plain; charset=UTF-8}, as {@code RequestBody.fromString}
 *       sends) fails the signature check with 403: Jetty rewrites it first.
 * </ul>
 *
 * An SDK client must be built as {@link #client()} builds it: path-style, region us-east-1, endpoint override,
 * and request checksums / response validation only {@code WHEN_REQUIRED} (S3Proxy, like MinIO, does not take
 * the SDK's default trailing checksums on every request).
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String ACCESS_KEY = "BERTHTESTACCESSKEY01";
  public static final String SECRET_KEY = "berth/test/secret/key/0123456789abcdefghij";
  public static final String REGION = "us-east-1";
  public static final String DEFAULT_BUCKET = "berth-test";

  private final Path directory;
  private final BlobStoreContext context;
  private final S3Proxy proxy;
  private final URI endpoint;
  private final String bucket;

  private S3ProxyServer(Path directory, BlobStoreContext context, S3Proxy proxy, String bucket) {
    this.directory = directory;
    this.context = context;
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
    BlobStoreContext context = null;
    S3Proxy proxy = null;
    try {
      Properties properties = new Properties();
      properties.setProperty("jclouds.filesystem.basedir", directory.toString());
      context = ContextBuilder.newBuilder("filesystem-nio2")
          .credentials("unused", "unused")
          .overrides(properties)
          .build(BlobStoreContext.class);
      proxy = S3Proxy.builder()
          .blobStore(context.getBlobStore())
          .endpoint(URI.create("http://127.0.0.1:0"))
          .awsAuthentication(AuthenticationType.AWS_V4, ACCESS_KEY, SECRET_KEY)
          .ignoreUnknownHeaders(true) // DeleteObjects' x-amz-checksum-crc32: see the class comment
          .build();
      proxy.start();
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (!proxy.getState().equals("STARTED")) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
        }
        Thread.sleep(10);
      }
      S3ProxyServer server = new S3ProxyServer(directory, context, proxy, bucket);
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
      if (context != null) {
        context.close();
      }
      deleteTree(directory);
      throw e;
    }
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
        .httpClientBuilder(ApacheHttpClient.builder())
        .build();
  }

  @Override
  public void close() throws Exception {
    try {
      proxy.stop();
    } finally {
      context.close();
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
