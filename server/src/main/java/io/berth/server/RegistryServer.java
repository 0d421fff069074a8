package io.berth.server;

import io.berth.registry.Registry;
import io.berth.server.auth.Authentication;
import io.berth.server.auth.Authenticator;
import io.berth.server.config.ServerConfig;
import io.berth.server.http.InFlightRequests;
import io.berth.server.http.RegistryChannelInitializer;
import io.berth.server.http.Routes;
import io.berth.server.tls.ServerTls;
import io.berth.storage.StorageDriver;
import io.berth.storage.fs.FilesystemDriver;
import io.berth.storage.s3.S3Driver;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The running registry: a Netty server over the registry services. Start with {@link #start}, stop with {@link #close}. */
public final class RegistryServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RegistryServer.class);

  private final EventLoopGroup bossGroup;
  private final EventLoopGroup workerGroup;
  private final ExecutorService storageExecutor;
  private final Channel serverChannel;
  /** The {@code http.plainaddr} listener; null when there is none. */
  private final Channel plainChannel;
  private final boolean tls;
  private final Maintenance maintenance;
  private final InFlightRequests inFlight;
  private final Duration drainTimeout;
  /** The storage backend {@link #start(ServerConfig)} opened, closed last. */
  private AutoCloseable ownedStorage;

  private RegistryServer(EventLoopGroup bossGroup, EventLoopGroup workerGroup, ExecutorService storageExecutor,
      Channel serverChannel, Channel plainChannel, boolean tls, Maintenance maintenance, InFlightRequests inFlight,
      Duration drainTimeout) {
    this.inFlight = inFlight;
    this.drainTimeout = drainTimeout;
    this.bossGroup = bossGroup;
    this.workerGroup = workerGroup;
    this.storageExecutor = storageExecutor;
    this.serverChannel = serverChannel;
    this.plainChannel = plainChannel;
    this.tls = tls;
    this.maintenance = maintenance;
  }

  /** Starts over the storage backend the configuration names; it is closed with the server. */
  public static RegistryServer start(ServerConfig config) throws Exception {
    StorageDriver driver = openStorage(config.storage());
    try {
      RegistryServer server = start(config, driver);
      server.ownedStorage = driver instanceof AutoCloseable closeable ? closeable : null;
      return server;
    } catch (Exception e) {
      if (driver instanceof AutoCloseable closeable) {
        closeable.close();
      }
      throw e;
    }
  }

  static StorageDriver openStorage(ServerConfig.Storage storage) throws java.io.IOException {
    return switch (storage.backend()) {
      case "filesystem" -> new FilesystemDriver(storage.filesystem().rootPath());
      case "s3" -> S3Driver.create(storage.s3().settings());
      default -> throw new IllegalArgumentException(
          "storage.backend must be filesystem or s3, not " + storage.backend());
    };
  }

  /** Starts over the given storage backend, which the caller closes. */
  public static RegistryServer start(ServerConfig config, StorageDriver driver) throws Exception {
    ServerConfig.Http http = config.http();
    Optional<ServerTls> tls = ServerTls.load(http.tls()); // a bad certificate or key stops us before anything runs
    Registry registry = new Registry(driver);
    // Storage calls block; they run here, never on an event loop (Netty 4.2 advises dispatching by hand).
    ExecutorService storageExecutor =
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("berth-storage-", 0).factory());
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    try {
      Authentication authentication = Authentication.from(config.auth(), Clock.systemUTC());
      Routes routes = new Routes(registry, config, authentication.tokenService());
      Authenticator authenticator = authentication.authenticator();
      InFlightRequests inFlight = new InFlightRequests();
      ServerBootstrap bootstrap = new ServerBootstrap()
          .group(boss, workers)
          .channel(NioServerSocketChannel.class)
          .option(ChannelOption.SO_BACKLOG, 1024)
          .childOption(ChannelOption.AUTO_READ, false)
          .childOption(ChannelOption.TCP_NODELAY, true);
      Channel channel = bind(bootstrap.clone().childHandler(new RegistryChannelInitializer(http,
          tls.map(ServerTls::context).orElse(null), routes, authenticator, storageExecutor, inFlight)),
          "http.addr", http.addr());
      Channel plain = null;
      if (!http.plainaddr().isBlank()) {
        plain = bind(bootstrap.clone().childHandler(new RegistryChannelInitializer(http, null, routes, authenticator,
            storageExecutor, inFlight)), "http.plainaddr", http.plainaddr());
      }
      logListeners(channel, plain, tls, driver, config);
      Maintenance maintenance = Maintenance.start(registry.uploads(), driver, config.storage().maintenance());
      return new RegistryServer(boss, workers, storageExecutor, channel, plain, tls.isPresent(), maintenance,
          inFlight, Duration.ofSeconds(http.draintimeout()));
    } catch (Exception e) {
      boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      storageExecutor.shutdownNow();
      throw e;
    }
  }

  private static void logListeners(Channel channel, Channel plain, Optional<ServerTls> tls, StorageDriver driver,
      ServerConfig config) {
    log.info("berth listening on {} ({}){} (storage: {}, auth: {}, deletes {})", channel.localAddress(),
        tls.isPresent() ? "HTTPS" : "plain HTTP", plain == null ? "" : " and " + plain.localAddress() + " (plain HTTP)",
        driver, config.auth().mode(), config.storage().delete().enabled() ? "enabled" : "disabled");
    if (tls.isPresent()) {
      X509Certificate certificate = tls.get().certificate();
      log.info("TLS certificate: {}, valid until {}", certificate.getSubjectX500Principal(),
          certificate.getNotAfter().toInstant());
      if (certificate.getNotAfter().before(new Date())) {
        log.warn("the TLS certificate expired on {}: clients will refuse it", certificate.getNotAfter().toInstant());
      }
    }
    if (plain != null && !((InetSocketAddress) plain.localAddress()).getAddress().isLoopbackAddress()) {
      log.warn("http.plainaddr {} is reachable from other machines: what is sent there, passwords too, is not"
          + " encrypted", plain.localAddress());
    }
  }

  private static Channel bind(ServerBootstrap bootstrap, String option, String addr) throws Exception {
    try {
      return bootstrap.bind(parseAddress(option, addr)).sync().channel();
    } catch (Exception e) {
      if (e instanceof BindException) { // thrown by sync() undeclared, naming no address
        throw new BindException("cannot listen on " + addr + " (" + option + "): " + e.getMessage());
      }
      throw e;
    }
  }

  /** {@code host:port}, {@code :port} (all addresses) or {@code [v6]:port}, the value of {@code option}. */
  static InetSocketAddress parseAddress(String option, String addr) {
    int colon = addr.lastIndexOf(':');
    int port;
    try {
      port = colon < 0 ? -1 : Integer.parseInt(addr.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(option + " must be host:port or :port, not " + addr);
    }
    String host = addr.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
  }

  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /** The {@code http.plainaddr} listener's port. */
  public int plainPort() {
    if (plainChannel == null) {
      throw new IllegalStateException("no http.plainaddr listener");
    }
    return ((InetSocketAddress) plainChannel.localAddress()).getPort();
  }

  /** The base URL on loopback, such as {@code http://127.0.0.1:5000}, or {@code https://...} with TLS. */
  public String baseUrl() {
    return (tls ? "https" : "http") + "://127.0.0.1:" + port();
  }

  @Override
  public void close() {
    maintenance.close();
    serverChannel.close().syncUninterruptibly(); // no new connections
    if (plainChannel != null) {
      plainChannel.close().syncUninterruptibly();
    }
    try {
      int left = inFlight.awaitIdle(drainTimeout);
      if (left > 0) {
        log.warn("stopping with {} requests still in progress after {} s", left, drainTimeout.toSeconds());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    bossGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    workerGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    storageExecutor.shutdown();
    try {
      // Let in-flight storage work (an aborted upload being closed) finish before the caller moves on.
      if (!storageExecutor.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("storage tasks still running after 10 s; stopping anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (ownedStorage != null) {
      try {
        ownedStorage.close();
      } catch (Exception e) {
        log.warn("closing storage: {}", e.toString());
      }
    }
  }
}
