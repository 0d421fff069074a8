package io.berth.e2e;

/** Closing what a test class started. */
final class Closeables {
  private Closeables() {}

  /**
   * Closes each resource that is not null, in the order given, going on past failures so one stuck daemon doesn't
   * leave the others running; the first failure is thrown, with the rest attached to it.
   */
  static void closeAll(AutoCloseable... resources) throws Exception {
    Exception first = null;
    for (AutoCloseable resource : resources) {
      if (resource == null) {
        continue;
      }
      try {
        resource.close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
