package io.berth.server.handlers;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.oci.Descriptor;
import io.berth.oci.DescriptorJson;
import io.berth.oci.Digest;
import io.berth.oci.MediaTypes;
import io.berth.oci.RepositoryName;
import io.berth.registry.Registry;
import io.berth.server.http.Exchange;
import io.berth.server.http.Json;
import io.berth.server.http.Response;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.List;

/**
 * {@code GET /v2/<name>/referrers/<digest>[?artifactType=]}: an image index of the manifests whose subject is
 * the digest. Never 404: a digest without referrers (or an unknown repository) gets an empty index.
 */
public final class ReferrersHandler {
  private final Registry registry;

  public ReferrersHandler(Registry registry) {
    this.registry = registry;
  }

  public Response handle(Exchange exchange) throws IOException {
    RepositoryName name = exchange.repository();
    Digest subject = Digest.parse(exchange.pathParam("digest"));
    String artifactType = exchange.param("artifactType");
    List<Descriptor> referrers = registry.manifests().referrers(name, subject, artifactType);
    ObjectNode index = Json.object();
    index.put("schemaVersion", 2);
    index.put("mediaType", MediaTypes.OCI_INDEX);
    ArrayNode manifests = index.putArray("manifests");
    referrers.forEach(d -> manifests.add(DescriptorJson.toJson(d)));
    Response response = Response.status(HttpResponseStatus.OK).body(MediaTypes.OCI_INDEX, Json.bytes(index));
    if (artifactType != null) {
      response.header("OCI-Filters-Applied", "artifactType");
    }
    return response;
  }
}
