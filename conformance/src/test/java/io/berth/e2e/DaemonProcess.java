package io.berth.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A daemon the tests start for themselves (dockerd, containerd): its process, the temporary directory that holds
 * all its state, and its log. Starting waits until a probe command succeeds; stopping is SIGTERM, a wait, then
 * SIGKILL, and the directory goes.
 */
final class DaemonProcess {
  private final String name;
  private final Path dir;
  private final Path logFile;
  private final Process process;

  private DaemonProcess(String name, Path dir, Path logFile, Process process) {
    this.name = name;
    this.dir = dir;
    this.logFile = logFile;
    this.process = process;
  }

  /** Starts {@code command} with its output in {@code dir/<name>.log}. */
  static DaemonProcess start(String name, Path dir, List<String> command) throws IOException {
    Path logFile = dir.resolve(name + ".log");
    Process process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(logFile.toFile())
        .start();
    return new DaemonProcess(name, dir, logFile, process);
  }

  /** Waits until {@code probe} exits 0; fails the test with the daemon's log if it dies or takes too long. */
  void awaitReady(Duration limit, Supplier<Command.Result> probe) {
    long deadline = System.nanoTime() + limit.toNanos();
    Command.Result last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        String log = log();
        int exitCode = process.exitValue();
        stop(process.pid());
        fail(name + " exited with code " + exitCode + " during startup\n" + log);
      }
      last = probe.get();
      if (last.exitCode() == 0) {
        return;
      }
      BerthProcess.sleep(Duration.ofMillis(150));
    }
    String log = log();
    stop(process.pid());
    fail(name + " did not become ready within " + limit + "\n" + (last == null ? "" : last.describe()) + "\n" + log);
  }

  Path dir() {
    return dir;
  }

  long pid() {
    return process.pid();
  }

  Path logFile() {
    return logFile;
  }

  String log() {
    try {
      return Files.readString(logFile);
    } catch (IOException e) {
      return "(cannot read the " + name + " log: " + e + ")";
    }
  }

  /**
   * SIGTERM to {@code pid} (the daemon itself, which may differ from the process started, as with dockerd's
   * pidfile), a wait for a clean shutdown, SIGKILL to what is left; then the directory is deleted.
   */
  void stop(long pid) {
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
