package io.berth.server.handlers;

import io.berth.oci.Digest;
import io.berth.oci.ErrorCode;
import io.berth.oci.Manifest;
import io.berth.oci.MediaTypes;
import io.berth.oci.Reference;
import io.berth.oci.RegistryException;
import io.berth.oci.RepositoryName;
import io.berth.oci.Tag;
import io.berth.registry.PushResult;
import io.berth.registry.Registry;
import io.berth.registry.StoredManifest;
import io.berth.server.http.Endpoint;
import io.berth.server.http.Exchange;
import io.berth.server.http.Response;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** {@code GET|HEAD|PUT|DELETE /v2/<name>/manifests/<reference>}. */
public final class ManifestHandlers {
  /** Tags one push by digest may add with {@code ?tag=}; more is answered 414 as the spec suggests. */
  static final int MAX_TAGS_PER_PUSH = 100;

  private final Registry registry;
  private final boolean deletesEnabled;

  public ManifestHandlers(Registry registry, boolean deletesEnabled) {
    this.registry = registry;
    this.deletesEnabled = deletesEnabled;
  }

  /** GET and HEAD: the exact bytes pushed, with their media type and digest. */
  public Response get(Exchange exchange) throws IOException {
    RepositoryName name = exchange.repository();
    Reference reference = Reference.parse(exchange.pathParam("reference"));
    StoredManifest manifest = registry.manifests().get(name, reference);
    checkAccepted(exchange, manifest);
    return Response.status(HttpResponseStatus.OK)
        .body(manifest.mediaType(), manifest.bytes())
        .header("Docker-Content-Digest", manifest.digest().toString())
        .header(HttpHeaderNames.ETAG, "\"" + manifest.digest() + "\"");
  }

  /**
   * A client that lists manifest types in {@code Accept} and not this one can't read it: 404, as distribution
   * answers. {@code Accept} without any manifest type (or {@code *}{@code /*}) takes whatever is stored.
   */
  private static void checkAccepted(Exchange exchange, StoredManifest manifest) {
    List<String> accepted = new ArrayList<>();
    for (String header : exchange.headers("Accept")) {
      for (String item : header.split(",")) {
        accepted.add(MediaTypes.essence(item));
      }
    }
    boolean listsManifestTypes = accepted.stream().anyMatch(MediaTypes::isManifest);
    boolean wildcard = accepted.contains("*/*") || accepted.contains("application/*");
    if (listsManifestTypes && !wildcard && !accepted.contains(manifest.mediaType())) {
      throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN,
          "the manifest is " + manifest.mediaType() + ", which the request's Accept header does not list");
    }
  }

  public Endpoint put() {
    return Endpoint.smallBody(Manifest.MAX_SIZE, this::put);
  }

  private Response put(Exchange exchange, byte[] body) throws IOException {
    RepositoryName name = exchange.repository();
    Reference reference = Reference.parse(exchange.pathParam("reference"));
    List<String> tagParams = exchange.params("tag");
    if (tagParams.size() > MAX_TAGS_PER_PUSH) {
      throw new RegistryException(ErrorCode.TAG_INVALID, 414, "at most " + MAX_TAGS_PER_PUSH + " tags per push");
    }
    Set<Tag> extraTags = new LinkedHashSet<>(); // OCI-Tag headers in the order asked
    for (String t : tagParams) {
      extraTags.add(Tag.parse(t));
    }
    PushResult result = registry.manifests().put(name, reference, body,
        exchange.header(HttpHeaderNames.CONTENT_TYPE), List.copyOf(extraTags));
    Response response = Response.status(HttpResponseStatus.CREATED)
        .header(HttpHeaderNames.LOCATION, "/v2/" + name + "/manifests/" + result.digest())
        .header("Docker-Content-Digest", result.digest().toString());
    result.subject().ifPresent(subject -> response.header("OCI-Subject", subject.toString()));
    if (!tagParams.isEmpty()) {
      for (Tag t : result.tags()) {
        response.header("OCI-Tag", t.name());
      }
    }
    return response;
  }

  public Response delete(Exchange exchange) throws IOException {
    RepositoryName name = exchange.repository();
    Reference reference = Reference.parse(exchange.pathParam("reference"));
    if (!deletesEnabled) {
      throw new RegistryException(ErrorCode.UNSUPPORTED, "deletes are disabled (storage.delete.enabled)");
    }
    registry.manifests().delete(name, reference);
    return Response.status(HttpResponseStatus.ACCEPTED);
  }

}
