package io.berth.server;

import io.berth.server.config.ConfigLoader;
import io.berth.server.config.ServerConfig;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar berth.jar [--config FILE]}: starts the registry. Without a file (and without
 * {@code BERTH_CONFIG}) it runs the embedded default: filesystem storage in ./data, port 5000, no auth.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    Path configFile = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--config", "-c" -> {
          if (i + 1 >= args.length) {
            usage("--config needs a file");
          }
          configFile = Path.of(args[++i]);
        }
        case "--help", "-h" -> {
          System.out.println("usage: berth [--config FILE]\n"
              + "Options come from FILE (YAML), then from BERTH_* environment variables; see the README.");
          return;
        }
        default -> usage("unknown argument: " + args[i]);
      }
    }
    if (configFile == null && System.getenv("BERTH_CONFIG") != null) {
      configFile = Path.of(System.getenv("BERTH_CONFIG"));
    }
    ServerConfig config;
    try {
      config = ConfigLoader.load(configFile, System.getenv());
    } catch (Exception e) {
      System.err.println("berth: bad configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    Logging.configure(config.log().level());
    RegistryServer server;
    try {
      server = RegistryServer.start(config);
    } catch (java.net.BindException e) {
      System.err.println("berth: cannot listen on " + config.http().addr() + ": " + e.getMessage());
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "berth-shutdown"));
    stopped.await();
  }

  private static void usage(String problem) {
    System.err.println("berth: " + problem + "\nusage: berth [--config FILE]");
    System.exit(2);
  }
}
