package io.berth.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

final class TempFiles {
  private TempFiles() {}

  /** Best effort: a leftover file in /tmp must not turn a passing test into a failing one. */
  static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> {
        try {
          Files.deleteIfExists(path);
        } catch (IOException ignored) {
          // e.g. a file still held by a process that refused to die; reported below by exists().
        }
      });
    } catch (IOException ignored) {
      // Same as above.
    }
    if (Files.exists(root)) {
      System.err.println("warning: could not fully delete " + root);
    }
  }
}
