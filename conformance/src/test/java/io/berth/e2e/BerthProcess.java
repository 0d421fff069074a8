package io.berth.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * Berth started from its runnable jar as a separate process, the way users run it, listening on a
 * free port on 127.0.0.1 (or on ::1, serving HTTPS) and storing into a directory of the test's choosing, or into
 * the {@link StorageBackend} the test gives it (a bucket of an S3Proxy the test runs).
 */
final class BerthProcess implements AutoCloseable {
  private static final Duration STARTUP_LIMIT = Duration.ofSeconds(30);
  /**
   * A JVM option for {@link #start(Path, List)}: Berth logs one line per answered request ({@code "METHOD URI"
   * STATUS LENGTH}), so a test can see which requests a client sent, such as {@code POST /auth/token}.
   */
  static final String ACCESS_LOG = "-Dorg.slf4j.simpleLogger.log.io.berth.access=debug";

  private final Process process;
  private final int port;
  private final Path workDir;
  private final Path logFile;
  private final StorageBackend storage;
  private final List<String> javaOptions;
  /** The address Berth listens on, as in a URL: 127.0.0.1 or [::1]. */
  private final String host;
  /** What the test's own requests trust when Berth serves HTTPS; null for plain HTTP. */
  private final SSLContext trust;
  private final HttpClient http;

  private BerthProcess(Process process, int port, Path workDir, Path logFile, StorageBackend storage, String host,
      SSLContext trust, List<String> javaOptions) {
    this.process = process;
    this.port = port;
    this.workDir = workDir;
    this.logFile = logFile;
    this.storage = storage;
    this.javaOptions = javaOptions;
    this.host = host;
    this.trust = trust;
    HttpClient.Builder client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5));
    this.http = (trust == null ? client : client.sslContext(trust)).build();
  }

  /**
   * Starts Berth with its storage and its log (stdout and stderr) under {@code workDir}. A directory that
   * already holds a storage directory is reused as it is, and the log is appended to, so this also restarts
   * Berth on what an earlier process (killed, say) left behind. A {@code config.yml} in {@code workDir} is
   * passed with {@code --config} (for what environment variables can't say, such as access rules).
   */
  static BerthProcess start(Path workDir) throws IOException {
    return start(workDir, List.of());
  }

  /** As {@link #start(Path)}, with options for Berth's JVM (before {@code -jar}), such as {@link #ACCESS_LOG}. */
  static BerthProcess start(Path workDir, List<String> javaOptions) throws IOException {
    return start(workDir, filesystemIn(workDir), javaOptions);
  }

  /** As {@link #start(Path)}, storing into {@code storage} (which the caller closes, after Berth). */
  static BerthProcess start(Path workDir, StorageBackend storage) throws IOException {
    return start(workDir, storage, List.of());
  }

  /** As {@link #start(Path, StorageBackend)}, with options for Berth's JVM. */
  static BerthProcess start(Path workDir, StorageBackend storage, List<String> javaOptions) throws IOException {
    return start(workDir, storage, "127.0.0.1", null, javaOptions);
  }

  private static StorageBackend filesystemIn(Path workDir) {
    return StorageBackend.filesystem(workDir.resolve("storage"));
  }

  /**
   * Starts Berth serving HTTPS on {@code address} (127.0.0.1 or ::1) with the certificate and key that
   * {@code workDir}'s {@code config.yml} names ({@code http.tls}); the test's own requests trust {@code trust}.
   */
  static BerthProcess startHttps(Path workDir, String address, SSLContext trust) throws IOException {
    return start(workDir, filesystemIn(workDir), address.contains(":") ? "[" + address + "]" : address, trust,
        List.of());
  }

  private static BerthProcess start(Path workDir, StorageBackend storage, String host, SSLContext trust,
      List<String> javaOptions) throws IOException {
    int port = FreePort.find(host);
    ProcessBuilder builder = command(workDir, storage, javaOptions);
    builder.environment().put("BERTH_HTTP_ADDR", host + ":" + port);
    BerthProcess berth = new BerthProcess(builder.start(), port, workDir, workDir.resolve("berth.log"), storage, host,
        trust, List.copyOf(javaOptions));
    berth.awaitReady();
    return berth;
  }

  /**
   * Runs Berth on {@code workDir}'s configuration when it is expected to refuse it: waits for it to exit, and
   * returns its exit code and what it printed.
   */
  static Command.Result runExpectingRefusal(Path workDir) throws IOException, InterruptedException {
    ProcessBuilder builder = command(workDir, filesystemIn(workDir), List.of());
    builder.environment().put("BERTH_HTTP_ADDR", "127.0.0.1:" + FreePort.find("127.0.0.1"));
    Process process = builder.start();
    if (!process.waitFor(STARTUP_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail("Berth still runs after " + STARTUP_LIMIT + " on a configuration it should refuse");
    }
    return new Command.Result(String.join(" ", builder.command()), process.exitValue(), new byte[0],
        Files.readString(workDir.resolve("berth.log")));
  }

  /** The java command line and environment that run the jar on {@code workDir}, logging to its berth.log. */
  private static ProcessBuilder command(Path workDir, StorageBackend storage, List<String> javaOptions)
      throws IOException {
    Path jar = Path.of(System.getProperty("berth.jar", "../server/target/berth.jar")).toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      fail("no Berth jar at " + jar + "; run `mvn verify` from the repository root so the server module"
          + " packages it first");
    }
    List<String> command = new ArrayList<>(List.of(javaBinary()));
    command.addAll(javaOptions);
    command.addAll(List.of("-jar", jar.toString()));
    if (Files.isRegularFile(workDir.resolve("config.yml"))) {
      command.addAll(List.of("--config", workDir.resolve("config.yml").toString()));
    }
    ProcessBuilder builder = new ProcessBuilder(command)
        .directory(workDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(workDir.resolve("berth.log").toFile()));
    Map<String, String> env = builder.environment();
    // Berth rejects unknown BERTH_* variables, and the test JVM may carry some meant for the tests
    // (BERTH_REQUIRE_E2E). Pass on only the log level, so `BERTH_LOG_LEVEL=debug mvn verify` still works.
    env.keySet().removeIf(name -> name.startsWith("BERTH_") && !name.equals("BERTH_LOG_LEVEL"));
    storage.configure(env);
    env.put("BERTH_STORAGE_DELETE_ENABLED", "true");
    return builder;
  }

  /** The same java that runs the tests, so Berth gets the JDK the build was checked with. */
  private static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + STARTUP_LIMIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        fail("Berth exited with code " + process.exitValue() + " during startup\n" + log());
      }
      try {
        int status = get("/v2/").statusCode();
        if (status == 200 || status == 401) { // 401: up, and asking for a sign-in
          return;
        }
      } catch (SSLException e) {
        close();
        fail("Berth answers, but the TLS handshake fails: " + e + "\n" + log());
      } catch (IOException notListeningYet) {
        // Connection refused until the server has bound its port.
      }
      sleep(Duration.ofMillis(100));
    }
    close();
    fail("Berth did not answer GET /v2/ with 200 or 401 within " + STARTUP_LIMIT + "\n" + log());
  }

  /** host:port as clients write it in image references, e.g. 127.0.0.1:41234. */
  String hostPort() {
    return host + ":" + port;
  }

  int port() {
    return port;
  }

  Path logFile() {
    return logFile;
  }

  /** The directory Berth stores into (its filesystem storage root); for tests that run on the filesystem only. */
  Path storage() {
    if (!(storage instanceof StorageBackend.Filesystem filesystem)) {
      throw new IllegalStateException("Berth stores into " + storage + ", not a directory");
    }
    return filesystem.root();
  }

  /** Where Berth stores, to look at what it stored. */
  StorageBackend stored() {
    return storage;
  }

  /**
   * Kills Berth with SIGKILL ({@link Process#destroyForcibly} on Linux): no shutdown hook, no draining of
   * requests, writes stop wherever they are. Returns once the process is gone.
   */
  void kill() {
    process.destroyForcibly();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        fail("Berth (pid " + process.pid() + ") still runs 10 s after SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    http.close();
  }

  /** Starts a new Berth on the same storage directory (and log); this one must have stopped. */
  BerthProcess restart() throws IOException {
    if (process.isAlive()) {
      throw new IllegalStateException("Berth (pid " + process.pid() + ") still runs; kill or close it first");
    }
    return start(workDir, storage, host, trust, javaOptions);
  }

  String log() {
    try {
      return Files.readString(logFile);
    } catch (IOException e) {
      return "(cannot read " + logFile + ": " + e + ")";
    }
  }

  /** The log's length in characters now, to read only what comes after with {@link #logSince}. */
  int logMark() {
    return log().length();
  }

  /** What Berth logged since {@code mark} (from {@link #logMark}). */
  String logSince(int mark) {
    String log = log();
    return log.substring(Math.min(mark, log.length()));
  }

  /** A GET straight to the registry API, to check what clients did against what Berth stored. */
  HttpResponse<byte[]> get(String path, String... acceptedTypes) throws IOException {
    return send("GET", path, acceptedTypes.length > 0 ? Map.of("Accept", String.join(", ", acceptedTypes)) : Map.of());
  }

  /**
   * Any request without a body, with the given headers: for a registry that wants credentials, a GET or HEAD with
   * {@code Authorization}.
   */
  HttpResponse<byte[]> send(String method, String path, Map<String, String> headers) throws IOException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path))
        .timeout(Duration.ofSeconds(10))
        .method(method, HttpRequest.BodyPublishers.noBody());
    headers.forEach(request::header);
    return send(request.build());
  }

  HttpResponse<byte[]> head(String path) throws IOException {
    return send(HttpRequest.newBuilder(URI.create(baseUrl() + path))
        .timeout(Duration.ofSeconds(10))
        .method("HEAD", HttpRequest.BodyPublishers.noBody())
        .build());
  }

  /** http://127.0.0.1:PORT, or https://... when Berth serves HTTPS. */
  String baseUrl() {
    return (trust == null ? "http://" : "https://") + hostPort();
  }

  private HttpResponse<byte[]> send(HttpRequest request) throws IOException {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** Stops Berth: SIGTERM for a clean shutdown, SIGKILL if it does not exit in time. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    http.close();
  }

  static void sleep(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
