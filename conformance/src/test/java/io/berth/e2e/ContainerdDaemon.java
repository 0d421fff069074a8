package io.berth.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A private containerd (Debian's, the one docker.io uses) for one test class. It has its own root, state,
 * socket and config in a temporary directory, and the CRI plugin is off, so it never touches the host's
 * containerd or network. It only stores and moves content, so no container ever runs. {@code ctr} talks to it
 * with the native snapshotter, which needs no overlay mounts.
 *
 * <p>ctr pushes and pulls through containerd's {@code remotes/docker} code, the same code buildkit (and so
 * buildx) uses. It skips the {@code /v2/} ping, uploads a blob as one empty POST and then one PUT carrying the
 * whole blob, and skips a manifest when HEAD returns the same {@code Docker-Content-Digest}.
 */
final class ContainerdDaemon implements AutoCloseable {
  private static final Duration STARTUP_LIMIT = Duration.ofSeconds(30);

  private final DaemonProcess daemon;

  private ContainerdDaemon(DaemonProcess daemon) {
    this.daemon = daemon;
  }

  static ContainerdDaemon start() throws IOException {
    // Directly under /tmp with a short name: the socket path (and the .ttrpc one next to it) must stay
    // under 108 bytes.
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "bc");
    Path config = Files.writeString(dir.resolve("config.toml"), """
        version = 2
        disabled_plugins = ["io.containerd.grpc.v1.cri"]
        """);
    ContainerdDaemon containerd = new ContainerdDaemon(DaemonProcess.start("containerd", dir, List.of(
        "containerd",
        "--config", config.toString(),
        "--root", dir.resolve("root").toString(),
        "--state", dir.resolve("state").toString(),
        "--address", socket(dir).toString())));
    // `ctr version` succeeds only once the daemon answers on its socket.
    containerd.daemon.awaitReady(STARTUP_LIMIT,
        () -> containerd.ctr("default", "version").timeout(Duration.ofSeconds(10)).run());
    return containerd;
  }

  private static Path socket(Path dir) {
    return dir.resolve("c.sock");
  }

  /**
   * A ctr command against this daemon in a containerd namespace. Images and content are kept per namespace,
   * so tests that use different namespaces cannot see each other's blobs.
   */
  Command ctr(String namespace, String... args) {
    List<String> command =
        new ArrayList<>(List.of("ctr", "--address", socket(daemon.dir()).toString(), "--namespace", namespace));
    command.addAll(List.of(args));
    return Command.of(command.toArray(String[]::new)).env("CONTAINERD_SNAPSHOTTER", "native");
  }

  Path logFile() {
    return daemon.logFile();
  }

  String log() {
    return daemon.log();
  }

  /** SIGTERM, wait for a clean shutdown, SIGKILL if it does not come; then delete the directory. */
  @Override
  public void close() {
    daemon.stop(daemon.pid());
  }
}
