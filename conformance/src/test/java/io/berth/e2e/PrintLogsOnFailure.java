package io.berth.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Prints the logs of the processes a test class started (Berth, dockerd) when one of its tests fails:
 * a client's error message alone rarely says what the server did wrong.
 */
final class PrintLogsOnFailure implements TestWatcher {
  private final Map<String, Path> logs = new LinkedHashMap<>();

  void watch(String name, Path logFile) {
    logs.put(name, logFile);
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    logs.forEach((name, file) -> {
      String text;
      try {
        text = Files.readString(file);
      } catch (IOException e) {
        text = "(cannot read " + file + ": " + e + ")";
      }
      System.err.printf("===== %s log for failed test %s (%s) =====%n%s%n===== end of %s log =====%n",
          name, context.getDisplayName(), file, text, name);
    });
  }
}
