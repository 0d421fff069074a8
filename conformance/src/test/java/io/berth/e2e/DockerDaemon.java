package io.berth.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private dockerd (Debian's docker.io) for one test class: its own data, state, socket and pidfile in
 * a temporary directory, vfs storage (works on any filesystem, no overlay mounts), and no bridge or
 * iptables rules, so it changes nothing on the host's network. Images are only built, pushed and
 * pulled; no container ever runs.
 */
final class DockerDaemon implements AutoCloseable {
  private static final Duration STARTUP_LIMIT = Duration.ofSeconds(60);

  private final Path dir;
  private final Process process;

  private DockerDaemon(Path dir, Process process) {
    this.dir = dir;
    this.process = process;
  }

  static DockerDaemon start() throws IOException {
    // Directly under /tmp with a short name: unix socket paths (ours and containerd's, which lives under
    // the exec root) must stay under 108 bytes.
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "bd");
    Process process = new ProcessBuilder(
        "dockerd",
        "--storage-driver", "vfs",
        "--iptables=false", "--ip6tables=false", "--bridge=none",
        "--data-root", dir.resolve("data").toString(),
        "--exec-root", dir.resolve("exec").toString(),
        "--host", "unix://" + dir.resolve("d.sock"),
        "--pidfile", dir.resolve("d.pid").toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("dockerd.log").toFile())
        .start();
    DockerDaemon daemon = new DockerDaemon(dir, process);
    daemon.awaitReady();
    return daemon;
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + STARTUP_LIMIT.toNanos();
    Command.Result last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        String log = log();
        close();
        fail("dockerd exited with code " + process.exitValue() + " during startup\n" + log);
      }
      // `docker version` succeeds only once the API answers, and proves that client and daemon agree on
      // an API version.
      last = docker("version").timeout(Duration.ofSeconds(10)).run();
      if (last.exitCode() == 0) {
        return;
      }
      BerthProcess.sleep(Duration.ofMillis(250));
    }
    String log = log();
    close();
    fail("dockerd did not become ready within " + STARTUP_LIMIT + "\n" + last.describe() + "\n" + log);
  }

  /** A docker CLI command aimed at this daemon, with its own client config so ~/.docker is untouched. */
  Command docker(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Clients.dockerCli());
    command.addAll(List.of(args));
    return Command.of(command.toArray(String[]::new))
        .env("DOCKER_HOST", "unix://" + dir.resolve("d.sock"))
        .env("DOCKER_CONFIG", dir.resolve("client-config").toString());
  }

  Path logFile() {
    return dir.resolve("dockerd.log");
  }

  String log() {
    try {
      return Files.readString(logFile());
    } catch (IOException e) {
      return "(cannot read dockerd log: " + e + ")";
    }
  }

  /** SIGTERM to the pid in the pidfile, wait for a clean shutdown (it stops its containerd), then clean up. */
  @Override
  public void close() {
    long pid = process.pid();
    try {
      pid = Long.parseLong(Files.readString(dir.resolve("d.pid")).trim());
    } catch (IOException | NumberFormatException noPidfileYet) {
      // Startup failed before dockerd wrote it; the process we started is dockerd itself.
    }
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    TempFiles.deleteRecursively(dir);
  }
}
