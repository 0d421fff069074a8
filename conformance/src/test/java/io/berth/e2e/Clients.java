package io.berth.e2e;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Finds the client programs the end-to-end tests drive. A developer without them gets skipped tests;
 * CI sets {@code BERTH_REQUIRE_E2E=1} so that a missing client is a failure rather than a silent skip.
 */
final class Clients {
  private Clients() {}

  static boolean required() {
    return "1".equals(System.getenv("BERTH_REQUIRE_E2E"));
  }

  /** Skips (or, in CI, fails) the calling test class unless every program is installed. */
  static void require(String... programs) {
    List<String> missing = Arrays.stream(programs).filter(p -> find(p).isEmpty()).toList();
    if (!missing.isEmpty()) {
      unavailable("missing client programs: " + missing);
    }
  }

  /** Skips (or, in CI, fails) unless we run as root, which dockerd and vfs-backed buildah/podman need. */
  static void requireRoot() {
    if (!"root".equals(System.getProperty("user.name"))) {
      unavailable("this end-to-end test must run as root");
    }
  }

  private static void unavailable(String problem) {
    if (required()) {
      fail(problem + " (and BERTH_REQUIRE_E2E=1)");
    }
    assumeTrue(false, problem);
  }

  /** The program on PATH, if any. */
  static Optional<Path> find(String program) {
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/sbin:/usr/bin:/sbin:/bin");
    return Arrays.stream(path.split(File.pathSeparator))
        .map(dir -> Path.of(dir, program))
        .filter(Files::isExecutable)
        .findFirst();
  }

  /**
   * The docker CLI. Debian's {@code /usr/bin/docker} matches Debian's dockerd; a newer client found
   * first on PATH (such as one in /usr/local/bin) may refuse to talk to the older daemon's API.
   */
  static String dockerCli() {
    Path debian = Path.of("/usr/bin/docker");
    return Files.isExecutable(debian) ? debian.toString() : "docker";
  }
}
