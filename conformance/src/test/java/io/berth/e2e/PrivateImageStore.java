package io.berth.e2e;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * buildah and podman with their own vfs image store under a test directory, so tests neither see nor
 * leave anything in /var/lib/containers. vfs needs no overlay mounts and works on any filesystem.
 */
record PrivateImageStore(Path root, Path runRoot) {
  /** The store in {@code dir}; podman refuses a run root path longer than 50 characters, so keep {@code dir} short. */
  static PrivateImageStore in(Path dir) {
    return new PrivateImageStore(dir.resolve("root"), dir.resolve("run"));
  }

  Command buildah(String... args) {
    return tool("buildah", args);
  }

  /** podman also keeps libpod state, network configs and an event log; point those into the test directory too. */
  Command podman(String... args) {
    List<String> command = new ArrayList<>(List.of(
        "--tmpdir", runRoot.resolveSibling("libpod-tmp").toString(),
        "--network-config-dir", runRoot.resolveSibling("networks").toString(),
        "--events-backend", "none"));
    command.addAll(List.of(args));
    return tool("podman", command.toArray(String[]::new));
  }

  private Command tool(String program, String... args) {
    List<String> command = new ArrayList<>(List.of(program,
        "--storage-driver", "vfs", "--root", root.toString(), "--runroot", runRoot.toString()));
    command.addAll(List.of(args));
    return Command.of(command.toArray(String[]::new));
  }
}
