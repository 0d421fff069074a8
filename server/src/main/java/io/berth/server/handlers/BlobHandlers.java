package io.berth.server.handlers;

import io.berth.oci.Digest;
import io.berth.oci.ErrorCode;
import io.berth.oci.RegistryException;
import io.berth.oci.RepositoryName;
import io.berth.registry.Registry;
import io.berth.registry.StoredBlob;
import io.berth.server.http.ErrorResponses;
import io.berth.server.http.Exchange;
import io.berth.server.http.Response;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;

/** {@code GET|HEAD|DELETE /v2/<name>/blobs/<digest>}. */
public final class BlobHandlers {
  private final Registry registry;
  private final boolean deletesEnabled;

  public BlobHandlers(Registry registry, boolean deletesEnabled) {
    this.registry = registry;
    this.deletesEnabled = deletesEnabled;
  }

  /** GET and HEAD, with single-range requests answered 206. */
  public Response get(Exchange exchange) throws IOException {
    RepositoryName name = exchange.repository();
    Digest digest = Digest.parse(exchange.pathParam("digest"));
    StoredBlob blob = registry.blobs().get(name, digest);
    if (!exchange.isHead()) {
      var direct = blob.directUrl();
      if (direct.isPresent()) { // the client fetches the bytes (and any range) from storage itself
        return Response.status(HttpResponseStatus.TEMPORARY_REDIRECT)
            .header(HttpHeaderNames.LOCATION, direct.get().toString())
            .header("Docker-Content-Digest", digest.toString());
      }
    }
    long size = blob.size();
    ByteRange range = ByteRange.parse(exchange.header(HttpHeaderNames.RANGE), size);
    if (range != null && !range.satisfiable()) {
      return ErrorResponses.of(ErrorCode.RANGE_INVALID, 416, "range not satisfiable; the blob has " + size + " bytes")
          .header(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size);
    }
    Response response = range == null
        ? Response.status(HttpResponseStatus.OK).blob(blob, 0, size)
        : Response.status(HttpResponseStatus.PARTIAL_CONTENT).blob(blob, range.start(), range.length())
            .header(HttpHeaderNames.CONTENT_RANGE, "bytes " + range.start() + "-" + range.end() + "/" + size);
    return response
        .header(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream")
        .header("Docker-Content-Digest", digest.toString())
        .header(HttpHeaderNames.ETAG, "\"" + digest + "\"")
        .header(HttpHeaderNames.ACCEPT_RANGES, "bytes")
        .header(HttpHeaderNames.CACHE_CONTROL, "max-age=31536000");
  }

  public Response delete(Exchange exchange) throws IOException {
    RepositoryName name = exchange.repository();
    Digest digest = Digest.parse(exchange.pathParam("digest"));
    if (!deletesEnabled) {
      throw new RegistryException(ErrorCode.UNSUPPORTED, "deletes are disabled (storage.delete.enabled)");
    }
    registry.blobs().delete(name, digest);
    return Response.status(HttpResponseStatus.ACCEPTED).header("Docker-Content-Digest", digest.toString());
  }
}
