package io.berth.server;

import io.berth.registry.Registry;
import io.berth.server.auth.Authentication;
import io.berth.server.config.ServerConfig;
import java.nio.file.Path;
import io.berth.server.http.RegistryChannelInitializer;
import io.berth.server.http.InFlightRequests;
import io.berth.server.http.Routes;
import java.time.Clock;
import java.time.Duration;
import io.berth.storage.StorageDriver;
import io.berth.storage.fs.FilesystemDriver;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
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
  private final Maintenance maintenance;
  private final InFlightRequests inFlight;
  private final Duration drainTimeout;

  private RegistryServer(EventLoopGroup bossGroup, EventLoopGroup workerGroup, ExecutorService storageExecutor,
      Channel serverChannel, Maintenance maintenance, InFlightRequests inFlight, Duration drainTimeout) {
    this.inFlight = inFlight;
    this.drainTimeout = drainTimeout;
    this.bossGroup = bossGroup;
    this.workerGroup = workerGroup;
    this.storageExecutor = storageExecutor;
    this.serverChannel = serverChannel;
    this.maintenance = maintenance;
  }

  public static RegistryServer start(ServerConfig config) throws Exception {
    return start(config, new FilesystemDriver(config.storage().filesystem().rootPath()));
  }

  /** Starts over the given storage backend. */
  public static RegistryServer start(ServerConfig config, StorageDriver driver) throws Exception {
    Registry registry = new Registry(driver);
    // Storage calls block; they run here, never on an event loop (Netty 4.2 advises dispatching by hand).
    ExecutorService storageExecutor =
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("berth-storage-", 0).factory());
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    try {
      Authentication authentication = Authentication.from(config.auth(), Clock.systemUTC());
      Routes routes = new Routes(registry, config, authentication.tokenService());
      InFlightRequests inFlight = new InFlightRequests();
      ServerBootstrap bootstrap = new ServerBootstrap()
          .group(boss, workers)
          .channel(NioServerSocketChannel.class)
          .option(ChannelOption.SO_BACKLOG, 1024)
          .childOption(ChannelOption.AUTO_READ, false)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new RegistryChannelInitializer(config.http(), routes, authentication.authenticator(),
              storageExecutor, inFlight));
      Channel channel = bootstrap.bind(parseAddress(config.http().addr())).sync().channel();
      log.info("berth listening on {} (storage: {}, auth: {}, deletes {})", channel.localAddress(), driver,
          config.auth().mode(),
          config.storage().delete().enabled() ? "enabled" : "disabled");
      Maintenance maintenance = Maintenance.start(registry.uploads(), driver, config.storage().maintenance());
      return new RegistryServer(boss, workers, storageExecutor, channel, maintenance, inFlight,
          Duration.ofSeconds(config.http().draintimeout()));
    } catch (Exception e) {
      boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      storageExecutor.shutdownNow();
      throw e;
    }
  }

  /** {@code host:port}, {@code :port} (all addresses) or {@code [v6]:port}. */
  static InetSocketAddress parseAddress(String addr) {
    int colon = addr.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("http.addr must be host:port or :port, not " + addr);
    }
    String host = addr.substring(0, colon);
    int port = Integer.parseInt(addr.substring(colon + 1));
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
  }

  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /** The base URL on loopback, such as {@code http://127.0.0.1:5000}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  @Override
  public void close() {
    maintenance.close();
    serverChannel.close().syncUninterruptibly(); // no new connections
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
  }
}
