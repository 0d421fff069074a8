package io.berth.server.handlers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.oci.ErrorCode;
import io.berth.oci.RegistryException;
import io.berth.oci.RepositoryName;
import io.berth.registry.Page;
import io.berth.registry.Registry;
import io.berth.server.http.Exchange;
import io.berth.server.http.Json;
import io.berth.server.http.Response;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.List;

/** {@code GET /v2/<name>/tags/list?n=&last=}: tags in lexical order, paginated with {@code Link}. */
public final class TagsHandler {
  private final Registry registry;

  public TagsHandler(Registry registry) {
    this.registry = registry;
  }

  public Response handle(Exchange exchange) throws IOException {
    RepositoryName name = exchange.repository();
    Integer n = exchange.intParam("n", ErrorCode.PAGINATION_NUMBER_INVALID);
    String last = exchange.param("last");
    List<String> tags = registry.tags().list(name);
    if (tags.isEmpty() && !registry.repositoryExists(name)) { // tags are only in a repository: one listing spared
      throw new RegistryException(ErrorCode.NAME_UNKNOWN, "repository name not known to registry: " + name);
    }
    Page page = Page.of(tags, last, n);
    ObjectNode body = Json.object();
    body.put("name", name.value());
    page.items().forEach(body.putArray("tags")::add);
    Response response = Response.status(HttpResponseStatus.OK).body("application/json", Json.bytes(body));
    if (page.hasMore()) {
      response.header("Link",
          Links.next("/v2/" + name + "/tags/list", n, page.items().get(page.items().size() - 1)));
    }
    return response;
  }
}
