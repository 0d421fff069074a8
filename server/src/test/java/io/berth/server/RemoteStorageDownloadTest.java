package io.berth.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.berth.storage.ForwardingStorageDriver;
import io.berth.storage.StorageDriver;
import io.berth.storage.fs.FilesystemDriver;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Downloads from a backend that keeps no local files (as S3 will be): no zero-copy there, so blobs are read
 * ahead on the storage executor and streamed. Whole and ranged GETs must serve the exact bytes.
 */
class RemoteStorageDownloadTest extends ServerTestBase {

  @Override
  RegistryServer startServer(io.berth.server.config.ServerConfig config) throws Exception {
    return RegistryServer.start(config, new NoLocalFiles(new FilesystemDriver(config.storage().filesystem().rootPath())));
  }

  @Test
  void blobsStreamFromStorageWithoutLocalFiles() {
    byte[] content = randomBytes(3 * 1024 * 1024 + 123, 11); // several read-ahead chunks, and a partial last one
    String digest = pushBlob("team/app", content);
    HttpResponse<byte[]> whole = get("/v2/team/app/blobs/" + digest);
    assertEquals(200, whole.statusCode());
    assertArrayEquals(content, whole.body());
    HttpResponse<byte[]> range = request("GET", "/v2/team/app/blobs/" + digest, null, "Range", "bytes=100000-2000000");
    assertEquals(206, range.statusCode());
    assertArrayEquals(slice(content, 100000, 2000001), range.body());
  }

  /** A filesystem that hides its files, as a remote store would. */
  static final class NoLocalFiles extends ForwardingStorageDriver {
    NoLocalFiles(StorageDriver inner) {
      super(inner);
    }

    @Override
    public Optional<Path> localFile(String path) {
      return Optional.empty();
    }
  }
}
