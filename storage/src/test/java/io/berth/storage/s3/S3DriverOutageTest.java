package io.berth.storage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.berth.storage.FileWriter;
import io.berth.storage.StorageDriver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The S3 driver while its S3Proxy is stopped and started again: calls fail with IOExceptions (a 503 to the registry's
 * clients), a writer whose part failed refuses further writes at once, and the same driver works once S3 is back,
 * aborting then what it could not abort while S3 was away.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class S3DriverOutageTest {
  private static final int MIB = 1 << 20;

  private S3ProxyServer server;
  private StorageDriver driver;

  @BeforeEach
  void start() throws Exception {
    server = S3ProxyServer.start("outage");
    driver = S3Drivers.open(server, server.bucket(), "p", server.secretKey());
  }

  @AfterEach
  void stop() throws Exception {
    if (driver != null) {
      S3Drivers.close(driver);
    }
    if (server != null) {
      server.close();
    }
  }

  /**
   * A body streamed into an appender while S3 goes away: once a part upload has failed, the next write throws, so the
   * registry can answer the client then instead of staging the rest of the body on disk for nothing.
   */
  @Test
  void writesFailSoonAfterAPartFailedAndNothingIsCommitted() throws Exception {
    ByteBuffer mib = ByteBuffer.allocate(MIB);
    long failedAt = -1;
    try (FileWriter writer = driver.appender("uploads/big")) {
      for (int i = 0; i < 6; i++) { // one full part goes up while S3 is there
        writer.write(mib.clear());
      }
      server.stop();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (failedAt < 0) {
        try {
          writer.write(mib.clear());
        } catch (IOException expected) {
          failedAt = writer.size();
        }
        if (System.nanoTime() > deadline) {
          fail("writes still succeed " + writer.size() / MIB + " MiB in, S3 down for a minute");
        }
        Thread.sleep(10);
      }
      // The first part sent after the stop ends at 10 MiB and fails within the SDK's quick retries.
      System.out.printf("S3 stopped at 6 MiB: writes failed from %d MiB on%n", failedAt / MIB);
      assertTrue(failedAt < 400L * MIB, "failed only after " + failedAt / MIB + " MiB");
      assertThrows(IOException.class, writer::commit);
    } catch (IOException closing) {
      // close commits what it can, best effort; with S3 down it can't
    }
    assertThrows(IOException.class, () -> driver.size("uploads/big"));

    server.restart();
    assertEquals(Optional.of(0L), driver.size("uploads/big"), "nothing of the failed write is in the file");
    // The failed multipart upload could not be aborted while S3 was down; the driver keeps trying until it is.
    try (S3Client s3 = server.client()) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
      while (!s3.listMultipartUploads(r -> r.bucket(server.bucket())).uploads().isEmpty()) {
        if (System.nanoTime() > deadline) {
          fail("multipart uploads still open 40 s after S3 came back: "
              + s3.listMultipartUploads(r -> r.bucket(server.bucket())).uploads());
        }
        Thread.sleep(100);
      }
    }
    byte[] content = new byte[7 * MIB];
    new java.util.Random(3).nextBytes(content);
    try (FileWriter writer = driver.appender("uploads/big")) {
      writer.write(ByteBuffer.wrap(content));
      writer.commit();
    }
    assertEquals(Optional.of((long) content.length), driver.size("uploads/big"));
    driver.move("uploads/big", "blobs/big");
    assertArrayEquals(content, driver.getContent("blobs/big"));
  }

  /** Every kind of call fails with an IOException while S3 is down, and works again on the same driver after. */
  @Test
  void callsFailWithIoExceptionsWhileS3IsDownAndWorkAgainAfter() throws Exception {
    driver.putContent("a/b", new byte[] {1});
    server.stop();
    assertThrows(IOException.class, () -> driver.size("a/b"));
    assertThrows(IOException.class, () -> driver.getContent("a/b"));
    assertThrows(IOException.class, () -> driver.putContent("a/c", new byte[] {2}));
    assertThrows(IOException.class, () -> driver.reader("a/b", 0));
    assertThrows(IOException.class, () -> driver.appender("a/d"));
    assertThrows(IOException.class, () -> driver.list("a"));
    assertThrows(IOException.class, () -> driver.move("a/b", "a/e"));
    assertThrows(IOException.class, () -> driver.delete("a/b"));
    server.restart();
    assertArrayEquals(new byte[] {1}, driver.getContent("a/b"));
    driver.putContent("a/c", new byte[] {2});
    assertEquals(java.util.List.of("b", "c"), driver.list("a"));
  }
}
