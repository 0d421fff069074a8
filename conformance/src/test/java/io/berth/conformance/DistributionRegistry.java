package io.berth.conformance;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The reference registry, CNCF distribution ({@code docker-registry serve config.yml}), as a child process on a free
 * loopback port with filesystem storage in a temporary directory.
 */
final class DistributionRegistry implements AutoCloseable {
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(20);

  private final Process process;
  private final URI baseUrl;
  private final Path log;

  private DistributionRegistry(Process process, URI baseUrl, Path log) {
    this.process = process;
    this.baseUrl = baseUrl;
    this.log = log;
  }

  /**
   * The reference binary ({@code -Dberth.reference.binary}, else {@code /usr/bin/docker-registry}). When it is
   * missing the calling test is skipped, unless {@code BERTH_REQUIRE_REFERENCE=1} (set in CI) makes that a failure.
   */
  static Path binaryOrSkip() {
    Path binary = Path.of(System.getProperty("berth.reference.binary", "/usr/bin/docker-registry"));
    if (!Files.isExecutable(binary)) {
      String why = "reference registry not found at " + binary + " (Debian package docker-registry)";
      if ("1".equals(System.getenv("BERTH_REQUIRE_REFERENCE"))) {
        fail(why + ", and BERTH_REQUIRE_REFERENCE=1 requires it");
      }
      assumeTrue(false, why);
    }
    return binary;
  }

  static DistributionRegistry start(Path binary, Path workDir, boolean deletesEnabled) throws Exception {
    return start(binary, workDir, deletesEnabled, "", 200);
  }

  /**
   * @param extraConfig more top-level YAML sections (such as {@code auth:})
   * @param readyStatus what {@code GET /v2/} answers once it is up (401 with auth on)
   */
  static DistributionRegistry start(Path binary, Path workDir, boolean deletesEnabled, String extraConfig,
      int readyStatus) throws Exception {
    int port = freeLoopbackPort();
    Path config = workDir.resolve("config.yml");
    Files.writeString(config, """
        version: 0.1
        log:
          level: warn
        storage:
          filesystem:
            rootdirectory: %s
          delete:
            enabled: %b
        http:
          addr: 127.0.0.1:%d
        """.formatted(workDir.resolve("data"), deletesEnabled, port) + extraConfig);
    Path log = workDir.resolve("registry.log");
    Process process = new ProcessBuilder(binary.toString(), "serve", config.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    DistributionRegistry registry = new DistributionRegistry(process, URI.create("http://127.0.0.1:" + port), log);
    try {
      registry.awaitReady(readyStatus);
    } catch (Exception e) {
      registry.close();
      throw e;
    }
    return registry;
  }

  URI baseUrl() {
    return baseUrl;
  }

  /** Polls {@code GET /v2/} until it answers as when ready; the process gives no other readiness signal. */
  private void awaitReady(int readyStatus) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest ping = HttpRequest.newBuilder(baseUrl.resolve("/v2/")).timeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("docker-registry exited with " + process.exitValue() + ":\n" + logText());
      }
      try {
        if (http.send(ping, HttpResponse.BodyHandlers.discarding()).statusCode() == readyStatus) {
          return;
        }
      } catch (IOException notYetListening) {
        // keep polling
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("docker-registry did not answer on " + baseUrl + " within " + STARTUP_TIMEOUT
        + ":\n" + logText());
  }

  private String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /**
   * A port that was free a moment ago. The registry binds it itself, so there is a small race with other processes;
   * acceptable for a test on loopback.
   */
  private static int freeLoopbackPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
