package io.berth.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** A TCP port on a loopback address that nothing listens on right now. */
final class FreePort {
  private FreePort() {}

  /** A free port on {@code host}: 127.0.0.1, or ::1 (also as {@code [::1]}, which getByName takes). */
  static int find(String host) {
    // Bind port 0 on loopback only and let the kernel choose; the small race until the child process
    // binds it is acceptable for tests.
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
