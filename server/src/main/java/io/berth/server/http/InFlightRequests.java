package io.berth.server.http;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts requests between their head arriving and their answer being sent, so a stopping server can drain. */
public final class InFlightRequests {
  private final AtomicInteger count = new AtomicInteger();

  void begin() {
    count.incrementAndGet();
  }

  void end() {
    count.decrementAndGet();
  }

  /**
   * Waits until no request is in progress, or the timeout passes.
   *
   * @return how many requests were still in progress (0 when drained)
   */
  public int awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (count.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    return count.get();
  }
}
