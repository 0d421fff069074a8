package io.berth.server.handlers;

import io.berth.oci.Digest;
import io.berth.oci.DigestAlgorithm;
import io.berth.oci.ErrorCode;
import io.berth.oci.RegistryException;
import io.berth.oci.RepositoryName;
import io.berth.registry.Registry;
import io.berth.registry.StoredBlob;
import io.berth.registry.UploadService;
import io.berth.server.auth.Access;
import io.berth.server.http.BodyHandler;
import io.berth.server.http.ErrorResponses;
import io.berth.server.http.Exchange;
import io.berth.server.http.ResponseException;
import io.berth.server.http.Response;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Blob uploads: {@code POST /v2/<name>/blobs/uploads/} (start, monolithic, mount) and
 * {@code PATCH|PUT|GET|DELETE /v2/<name>/blobs/uploads/<uuid>}. Bodies stream straight into the upload's
 * storage as they arrive; nothing is held whole in memory.
 */
public final class UploadHandlers {
  /** {@code <start>-<end>}, inclusive, as the spec writes it; {@code bytes start-end/total} also accepted. */
  private static final Pattern CONTENT_RANGE =
      Pattern.compile("^(?:bytes[ =])?(\\d{1,18})-(\\d{1,18})(?:/(?:\\d{1,18}|\\*))?$"); // 18 digits: fits a long

  private final Registry registry;

  public UploadHandlers(Registry registry) {
    this.registry = registry;
  }

  /** POST: a cross-repository mount, a monolithic upload ({@code ?digest=}) or the start of a session. */
  public BodyHandler post(Exchange exchange) throws IOException {
    RepositoryName name = exchange.repository();
    String mount = exchange.param("mount");
    if (mount != null) {
      Optional<StoredBlob> mounted = tryMount(exchange, name, Digest.parse(mount), exchange.param("from"));
      if (mounted.isPresent()) {
        return answer(created(name, mounted.get().digest()));
      }
    }
    String digestParam = mount == null ? exchange.param("digest") : null;
    if (digestParam != null) {
      Digest digest = Digest.parse(digestParam);
      String uuid = registry.uploads().start(name, digest.algorithm());
      return new UploadBody(name, uuid, registry.uploads().append(name, uuid, null), digest);
    }
    DigestAlgorithm algorithm = DigestAlgorithm.SHA256;
    String algorithmParam = exchange.param("digest-algorithm");
    if (algorithmParam != null) {
      algorithm = DigestAlgorithm.byId(algorithmParam).orElseThrow(() -> new RegistryException(
          ErrorCode.DIGEST_INVALID, "unsupported digest algorithm: " + algorithmParam));
    }
    String uuid = registry.uploads().start(name, algorithm);
    return answer(accepted(name, uuid, 0));
  }

  private Optional<StoredBlob> tryMount(Exchange exchange, RepositoryName name, Digest digest, String from)
      throws IOException {
    // Without a valid source, or without the right to read it, we never look elsewhere: the client uploads
    // the blob instead, and learns nothing of what other repositories hold.
    if (from == null || !RepositoryName.isValid(from) || !exchange.permits(Access.repository(from, Access.PULL))) {
      return Optional.empty();
    }
    return registry.blobs().mount(name, RepositoryName.parse(from), digest);
  }

  /** PATCH: appends the body; {@code Content-Range}, when sent, must start where the upload ends. */
  public BodyHandler patch(Exchange exchange) throws IOException {
    RepositoryName name = exchange.repository();
    String uuid = exchange.pathParam("uuid");
    Long start = contentRangeStart(exchange);
    try {
      return new UploadBody(name, uuid, registry.uploads().append(name, uuid, start), null);
    } catch (RegistryException e) {
      if (e.code() != ErrorCode.RANGE_INVALID) {
        throw e;
      }
      // Say where the upload stands, so the client can resume without asking (distribution does the same).
      throw new ResponseException(ErrorResponses.of(e)
          .header(HttpHeaderNames.LOCATION, location(name, uuid))
          .header(HttpHeaderNames.RANGE, range(registry.uploads().offset(name, uuid)))
          .header("Docker-Upload-UUID", uuid));
    }
  }

  /** PUT {@code ?digest=}: appends the body if any, then completes the upload. */
  public BodyHandler put(Exchange exchange) throws IOException {
    RepositoryName name = exchange.repository();
    String uuid = exchange.pathParam("uuid");
    String digestParam = exchange.param("digest");
    if (digestParam == null) {
      throw new RegistryException(ErrorCode.DIGEST_INVALID, "the digest query parameter is required");
    }
    Digest digest = Digest.parse(digestParam);
    Long start = contentRangeStart(exchange);
    return new UploadBody(name, uuid, registry.uploads().append(name, uuid, start), digest);
  }

  public Response status(Exchange exchange) throws IOException {
    RepositoryName name = exchange.repository();
    String uuid = exchange.pathParam("uuid");
    return progress(HttpResponseStatus.NO_CONTENT, name, uuid, registry.uploads().offset(name, uuid));
  }

  public Response cancel(Exchange exchange) throws IOException {
    RepositoryName name = exchange.repository();
    registry.uploads().cancel(name, exchange.pathParam("uuid"));
    return Response.status(HttpResponseStatus.NO_CONTENT);
  }

  private static Long contentRangeStart(Exchange exchange) {
    String header = exchange.header(HttpHeaderNames.CONTENT_RANGE);
    if (header == null) {
      return null;
    }
    Matcher m = CONTENT_RANGE.matcher(header.trim());
    if (!m.matches()) {
      throw new RegistryException(ErrorCode.RANGE_INVALID, "malformed Content-Range: " + header);
    }
    long start = Long.parseLong(m.group(1));
    long end = Long.parseLong(m.group(2));
    long declared = exchange.contentLength();
    if (end < start || (declared >= 0 && declared != end - start + 1)) {
      throw new RegistryException(ErrorCode.RANGE_INVALID,
          "Content-Range " + header + " does not match Content-Length " + declared);
    }
    return start;
  }

  static String location(RepositoryName name, String uuid) {
    return "/v2/" + name + "/blobs/uploads/" + uuid;
  }

  /** distribution's form: the last byte's offset, or 0-0 for an empty upload. */
  static String range(long offset) {
    return "0-" + Math.max(0, offset - 1);
  }

  private static Response accepted(RepositoryName name, String uuid, long offset) {
    return progress(HttpResponseStatus.ACCEPTED, name, uuid, offset);
  }

  /** Where an upload stands: its location and the bytes it holds. */
  private static Response progress(HttpResponseStatus status, RepositoryName name, String uuid, long offset) {
    return Response.status(status)
        .header(HttpHeaderNames.LOCATION, location(name, uuid))
        .header("Docker-Upload-UUID", uuid)
        .header(HttpHeaderNames.RANGE, range(offset));
  }

  private static Response created(RepositoryName name, Digest digest) {
    return Response.status(HttpResponseStatus.CREATED)
        .header(HttpHeaderNames.LOCATION, "/v2/" + name + "/blobs/" + digest)
        .header("Docker-Content-Digest", digest.toString());
  }

  private static BodyHandler answer(Response response) {
    return new BodyHandler() {
      @Override
      public void onContent(ByteBuf content) {}

      @Override
      public Response end() {
        return response;
      }
    };
  }

  /** Streams a request body into an upload, then answers 202 or, with a digest, completes it (201). */
  private final class UploadBody implements BodyHandler {
    private final RepositoryName name;
    private final String uuid;
    private final UploadService.Appender appender;
    private final Digest completeWith;

    UploadBody(RepositoryName name, String uuid, UploadService.Appender appender, Digest completeWith) {
      this.name = name;
      this.uuid = uuid;
      this.appender = appender;
      this.completeWith = completeWith;
    }

    @Override
    public void onContent(ByteBuf content) throws IOException {
      onContent(List.of(content));
    }

    @Override
    public void onContent(List<ByteBuf> batch) throws IOException {
      List<ByteBuffer> buffers = new ArrayList<>(batch.size());
      for (ByteBuf content : batch) {
        buffers.addAll(Arrays.asList(content.nioBuffers()));
      }
      appender.write(buffers);
    }

    @Override
    public Response end() throws IOException {
      long offset = appender.commit();
      if (completeWith == null) {
        return accepted(name, uuid, offset);
      }
      StoredBlob blob = registry.uploads().complete(name, uuid, completeWith);
      return created(name, blob.digest());
    }

    @Override
    public void abort() {
      try {
        appender.close();
      } catch (IOException ignored) {
        // the bytes written so far stay; the upload resumes from its stored size
      }
    }
  }
}
