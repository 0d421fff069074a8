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
    if (args.length > 0 && args[0].equals("htpasswd")) {
      setPassword(args);
      return;
    }
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
              + "       berth htpasswd FILE USER [--stdin]   (adds a user or sets its password)\n"
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
      System.err.println("berth: " + e.getMessage());
      System.exit(1);
      return;
    } catch (IllegalArgumentException e) {
      // A setting that only starting can check (a certificate, a key): said plainly, without a stack trace.
      System.err.println("berth: bad configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "berth-shutdown"));
    stopped.await();
  }

  /**
   * {@code berth htpasswd FILE USER [--stdin]}: adds the user or changes its password, like {@code htpasswd -B}.
   * The password is asked for on the console without echo, or read as one line from standard input with
   * {@code --stdin} (for scripts).
   */
  private static void setPassword(String[] args) throws java.io.IOException {
    boolean fromStdin = args.length == 4 && args[3].equals("--stdin");
    if (args.length != 3 && !fromStdin) {
      usage("usage: berth htpasswd FILE USER [--stdin]");
    }
    char[] password;
    if (fromStdin) {
      String line = new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
          java.nio.charset.StandardCharsets.UTF_8)).readLine();
      password = line == null ? new char[0] : line.toCharArray();
    } else {
      java.io.Console console = System.console();
      if (console == null) {
        usage("no console to ask for the password on; use --stdin");
        return;
      }
      password = console.readPassword("password for %s: ", args[2]);
      char[] again = console.readPassword("again: ");
      if (password == null || !java.util.Arrays.equals(password, again)) {
        System.err.println("berth: the passwords differ");
        System.exit(1);
      }
    }
    if (password.length == 0) {
      System.err.println("berth: empty password");
      System.exit(1);
    }
    try {
      io.berth.server.auth.Htpasswd.setPassword(Path.of(args[1]), args[2], password);
    } catch (IllegalArgumentException e) {
      System.err.println("berth: " + e.getMessage());
      System.exit(1);
    }
    System.out.println("password set for " + args[2] + " in " + args[1]);
  }

  private static void usage(String problem) {
    System.err.println("berth: " + problem + "\nusage: berth [--config FILE]");
    System.exit(2);
  }
}
