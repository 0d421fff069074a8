package io.berth.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged server ({@code server/target/berth.jar}) in a JVM of its own, for the integration tests: listening on
 * an ephemeral port of 127.0.0.1, configured by {@code BERTH_*} variables, its log copied to this JVM's output.
 */
final class BerthJvm implements AutoCloseable {
  private final Process process;
  private final int port;

  private BerthJvm(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts {@code java <jvmOptions> -jar berth.jar} with these {@code BERTH_*} variables; returns once it listens. */
  static BerthJvm start(List<String> jvmOptions, Map<String, String> berthEnvironment) throws Exception {
    Path jar = Path.of(System.getProperty("berth.jar", "target/berth.jar"));
    assertTrue(Files.isRegularFile(jar), "no server jar at " + jar.toAbsolutePath() + " (run the package phase)");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar.toString()));
    ProcessBuilder pb = new ProcessBuilder(command);
    // Berth refuses unknown BERTH_* variables, and the build may carry some meant for the tests (BERTH_REQUIRE_E2E).
    pb.environment().keySet().removeIf(name -> name.startsWith("BERTH_") && !name.equals("BERTH_LOG_LEVEL"));
    pb.environment().put("BERTH_HTTP_ADDR", "127.0.0.1:0");
    pb.environment().putAll(berthEnvironment);
    pb.redirectErrorStream(true);
    Process process = pb.start();
    // slf4j-simple logs "berth listening on /127.0.0.1:<port>"; keep draining the log afterwards.
    BufferedReader log = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Integer> listening = new CompletableFuture<>();
    Thread.ofVirtual().start(() -> {
      Pattern p = Pattern.compile("listening on \\S*:(\\d+) "); // not the S3 endpoint the line names after
      try {
        String line;
        while ((line = log.readLine()) != null) {
          System.out.println("[berth] " + line);
          Matcher m = p.matcher(line);
          if (m.find()) {
            listening.complete(Integer.parseInt(m.group(1)));
          }
        }
      } catch (IOException ignored) {
        // process gone
      }
      listening.completeExceptionally(new IllegalStateException("server exited before listening"));
    });
    try {
      return new BerthJvm(process, listening.get(60, TimeUnit.SECONDS));
    } catch (Exception e) {
      process.destroyForcibly();
      throw e;
    }
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** A line of {@code /proc/<pid>/status} in bytes, such as {@code VmHWM} (peak resident set) or {@code VmRSS}. */
  long procStatusBytes(String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
      if (line.startsWith(field + ":")) {
        String[] parts = line.substring(field.length() + 1).trim().split("\\s+");
        assertTrue(parts.length == 2 && parts[1].equals("kB"), line);
        return Long.parseLong(parts[0]) * 1024;
      }
    }
    throw new IllegalStateException("no " + field + " in /proc/" + process.pid() + "/status");
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
