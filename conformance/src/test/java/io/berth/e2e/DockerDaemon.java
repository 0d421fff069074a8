package io.berth.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A private dockerd (Debian's docker.io) for one test class: its own data, state, socket and pidfile in
 * a temporary directory, vfs storage (works on any filesystem, no overlay mounts), and no bridge or
 * iptables rules, so it changes nothing on the host's network. Images are only built, pushed and
 * pulled; no container ever runs.
 */
final class DockerDaemon implements AutoCloseable {
  private static final Duration STARTUP_LIMIT = Duration.ofSeconds(60);

  private final DaemonProcess daemon;

  private DockerDaemon(DaemonProcess daemon) {
    this.daemon = daemon;
  }

  static DockerDaemon start() throws IOException {
    return start(List.of());
  }

  /**
   * A daemon that sees its own {@code /etc/hosts} and {@code /etc/docker} (bind-mounted over the host's in a
   * private mount namespace; the host's files stay as they are): a test can give a registry a name, and trust a
   * CA for it in {@code etcDocker/certs.d/HOST:PORT/ca.crt}, as an administrator would in /etc/docker/certs.d.
   * The daemon reads certs.d at each push and pull, so the CA can be added while it runs.
   */
  static DockerDaemon startWithOwnEtc(Path hosts, Path etcDocker) throws IOException {
    return start(List.of("unshare", "--mount", "--propagation", "private", "--",
        "sh", "-c", "mount --bind \"$1\" /etc/hosts && mount --bind \"$2\" /etc/docker && shift 2 && exec \"$@\"",
        "sh", hosts.toString(), etcDocker.toString()));
  }

  /** Starts dockerd behind {@code prefix} (a command that ends by running its arguments). */
  private static DockerDaemon start(List<String> prefix) throws IOException {
    // Directly under /tmp with a short name: unix socket paths (ours and containerd's, which lives under
    // the exec root) must stay under 108 bytes.
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "bd");
    List<String> command = new ArrayList<>(prefix);
    command.addAll(List.of(
        "dockerd",
        "--storage-driver", "vfs",
        "--iptables=false", "--ip6tables=false", "--bridge=none",
        "--data-root", dir.resolve("data").toString(),
        "--exec-root", dir.resolve("exec").toString(),
        "--host", "unix://" + dir.resolve("d.sock"),
        "--pidfile", dir.resolve("d.pid").toString()));
    DockerDaemon docker = new DockerDaemon(DaemonProcess.start("dockerd", dir, command));
    // `docker version` succeeds only once the API answers, and proves that client and daemon agree on an API
    // version.
    docker.daemon.awaitReady(STARTUP_LIMIT, () -> docker.docker("version").timeout(Duration.ofSeconds(10)).run());
    return docker;
  }

  /** A docker CLI command aimed at this daemon, with its own client config so ~/.docker is untouched. */
  Command docker(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Clients.dockerCli());
    command.addAll(List.of(args));
    return Command.of(command.toArray(String[]::new))
        .env("DOCKER_HOST", "unix://" + daemon.dir().resolve("d.sock"))
        .env("DOCKER_CONFIG", daemon.dir().resolve("client-config").toString());
  }

  Path logFile() {
    return daemon.logFile();
  }

  String log() {
    return daemon.log();
  }

  /** SIGTERM to the pid in the pidfile, wait for a clean shutdown (it stops its containerd), then clean up. */
  @Override
  public void close() {
    long pid = daemon.pid();
    try {
      pid = Long.parseLong(Files.readString(daemon.dir().resolve("d.pid")).trim());
    } catch (IOException | NumberFormatException noPidfileYet) {
      // Startup failed before dockerd wrote it; the process we started is dockerd itself.
    }
    daemon.stop(pid);
  }
}
