package io.berth.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One external program run to completion: arguments, extra environment, a timeout. Output goes to
 * temporary files rather than pipes, so a chatty program can never block on a full pipe buffer.
 */
final class Command {
  /** What a finished program left behind. */
  record Result(String commandLine, int exitCode, byte[] stdoutBytes, String stderr) {
    String stdout() {
      return new String(stdoutBytes, StandardCharsets.UTF_8);
    }

    /** Both streams: clients such as docker print progress to stdout and errors to stderr. */
    String output() {
      return stdout() + stderr;
    }

    String describe() {
      return "$ " + commandLine + "\nexit code " + exitCode + "\n--- stdout ---\n" + stdout()
          + "\n--- stderr ---\n" + stderr;
    }
  }

  private final List<String> args;
  private final Map<String, String> env = new LinkedHashMap<>();
  private Path directory;
  private Path input;
  // Every client step here takes seconds; a minute means a hang (e.g. a server that stopped reading).
  private Duration timeout = Duration.ofSeconds(60);

  private Command(List<String> args) {
    this.args = args;
  }

  static Command of(String... args) {
    return new Command(new ArrayList<>(List.of(args)));
  }

  Command env(String name, String value) {
    env.put(name, value);
    return this;
  }

  Command env(Map<String, String> variables) {
    env.putAll(variables);
    return this;
  }

  /** Feeds the program this file as its standard input (otherwise it reads nothing). */
  Command stdin(Path file) {
    this.input = file;
    return this;
  }

  Command in(Path dir) {
    this.directory = dir;
    return this;
  }

  Command timeout(Duration limit) {
    this.timeout = limit;
    return this;
  }

  /** Runs and fails the test, showing everything the program printed, unless it exits with 0. */
  Result check() {
    Result result = run();
    if (result.exitCode() != 0) {
      fail("command failed\n" + result.describe());
    }
    return result;
  }

  /** Runs and returns whatever happened; for commands that are expected to fail. */
  Result run() {
    Path stdout = null;
    Path stderr = null;
    try {
      stdout = Files.createTempFile("berth-e2e-cmd", ".out");
      stderr = Files.createTempFile("berth-e2e-cmd", ".err");
      ProcessBuilder builder = new ProcessBuilder(args)
          .redirectInput(ProcessBuilder.Redirect.from((input == null ? Path.of("/dev/null") : input).toFile()))
          .redirectOutput(stdout.toFile())
          .redirectError(stderr.toFile());
      builder.environment().putAll(env);
      if (directory != null) {
        builder.directory(directory.toFile());
      }
      Process process = builder.start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        fail("command timed out after " + timeout + "\n"
            + new Result(String.join(" ", args), -1, Files.readAllBytes(stdout), Files.readString(stderr))
                .describe());
      }
      return new Result(String.join(" ", args), process.exitValue(), Files.readAllBytes(stdout),
          Files.readString(stderr));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + args, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + args, e);
    } finally {
      deleteQuietly(stdout);
      deleteQuietly(stderr);
    }
  }

  private static void deleteQuietly(Path file) {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // A leftover temp file is harmless.
      }
    }
  }
}
