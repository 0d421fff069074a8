package io.berth.server.handlers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.oci.ErrorCode;
import io.berth.oci.RegistryException;
import io.berth.registry.Page;
import io.berth.registry.Registry;
import io.berth.server.http.Exchange;
import io.berth.server.http.Json;
import io.berth.server.http.Response;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;

/** {@code GET /v2/_catalog?n=&last=}: repository names, 100 a page by default and at most 1000, like distribution. */
public final class CatalogHandler {
  static final int DEFAULT_ENTRIES = 100;
  static final int MAX_ENTRIES = 1000;

  private final Registry registry;

  public CatalogHandler(Registry registry) {
    this.registry = registry;
  }

  public Response handle(Exchange exchange) throws IOException {
    Integer requested = exchange.intParam("n", ErrorCode.PAGINATION_NUMBER_INVALID);
    int n = requested == null ? DEFAULT_ENTRIES : requested;
    if (n > MAX_ENTRIES) {
      throw new RegistryException(ErrorCode.PAGINATION_NUMBER_INVALID,
          "n=" + n + " is over the limit of " + MAX_ENTRIES);
    }
    Page page = registry.catalog().page(exchange.param("last"), n);
    ObjectNode body = Json.object();
    page.items().forEach(body.putArray("repositories")::add);
    Response response = Response.status(HttpResponseStatus.OK).body("application/json", Json.bytes(body));
    if (page.hasMore()) {
      response.header("Link", Links.next("/v2/_catalog", n, page.items().get(page.items().size() - 1)));
    }
    return response;
  }
}
