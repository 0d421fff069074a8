package io.berth.server.http;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/**
 * Runs one connection's tasks on the shared storage executor one after another, in submission order, so that
 * for example the abort of an upload never overtakes the write of its last chunk.
 */
final class SerialExecutor implements Executor {
  private final Executor executor;
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
  private Runnable active;

  SerialExecutor(Executor executor) {
    this.executor = executor;
  }

  @Override
  public synchronized void execute(Runnable task) {
    tasks.add(() -> {
      try {
        task.run();
      } finally {
        next();
      }
    });
    if (active == null) {
      next();
    }
  }

  private synchronized void next() {
    active = tasks.poll();
    if (active != null) {
      executor.execute(active);
    }
  }
}
