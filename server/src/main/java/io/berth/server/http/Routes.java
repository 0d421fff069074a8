package io.berth.server.http;

import io.berth.oci.ErrorCode;
import io.berth.oci.RegistryException;
import io.berth.oci.RepositoryName;
import io.berth.oci.Text;
import io.berth.registry.Registry;
import io.berth.server.auth.Access;
import io.berth.server.config.ServerConfig;
import io.berth.server.handlers.BlobHandlers;
import io.berth.server.handlers.CatalogHandler;
import io.berth.server.handlers.ManifestHandlers;
import io.berth.server.handlers.PingHandler;
import io.berth.server.handlers.ReferrersHandler;
import io.berth.server.handlers.TagsHandler;
import io.berth.server.handlers.UploadHandlers;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.berth.server.auth.token.BearerAuthenticator;
import io.berth.server.auth.token.TokenService;
import io.berth.server.handlers.TokenHandler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The route table, one line per endpoint of the distribution-spec (end-N are the spec's endpoint ids).
 * Path parts are matched raw, never percent-decoded: an encoded '/' or '.' stays in the name and fails its grammar.
 */
public final class Routes {
  private static final HttpMethod GET = HttpMethod.GET;
  private static final HttpMethod HEAD = HttpMethod.HEAD;
  private static final HttpMethod PUT = HttpMethod.PUT;
  private static final HttpMethod POST = HttpMethod.POST;
  private static final HttpMethod PATCH = HttpMethod.PATCH;
  private static final HttpMethod DELETE = HttpMethod.DELETE;

  private record Route(Pattern pattern, List<String> groups, AccessRule access, Map<HttpMethod, Endpoint> endpoints) {}

  /**
   * A matched request: the endpoint, the path's named parts, and the access it needs; {@code open} endpoints (the
   * token endpoint) are not authenticated, and check credentials themselves.
   */
  public record Match(Endpoint endpoint, Map<String, String> pathParams, List<Access> access, boolean open) {}

  /** The access a request to a route needs, from its method, path parts and query. */
  @FunctionalInterface
  private interface AccessRule {
    List<Access> of(HttpMethod method, Map<String, String> pathParams, QueryStringDecoder uri);
  }

  /** {@code /v2/} itself: no resource, only (later) being authenticated. */
  private static final AccessRule NO_RESOURCE = (method, params, uri) -> List.of();
  /** Marks a route that anyone may call, which checks credentials itself. */
  private static final AccessRule OPEN = (method, params, uri) -> null;
  private static final AccessRule CATALOG = (method, params, uri) -> List.of(Access.CATALOG);

  /**
   * Reads pull; writes push (with pull, as docker asks for both); deletes delete. A name that is no repository
   * name is a 400 here, before authentication: it would never be checked against the rules, nor be echoed raw
   * (quotes and all) into a challenge's scope.
   */
  private static final AccessRule REPOSITORY = (method, params, uri) -> {
    String name = RepositoryName.parse(params.get("name")).value();
    if (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method)) {
      return List.of(Access.repository(name, Access.PULL));
    }
    if (HttpMethod.DELETE.equals(method)) {
      return List.of(Access.repository(name, Access.DELETE));
    }
    return List.of(Access.repository(name, Access.PULL, Access.PUSH));
  };

  private final List<Route> table;

  public Routes(Registry registry, ServerConfig config) {
    this(registry, config, Optional.empty());
  }

  /** @param tokens the built-in token service, whose endpoint is then served at {@code /auth/token} */
  public Routes(Registry registry, ServerConfig config, Optional<TokenService> tokens) {
    boolean deletes = config.storage().delete().enabled();
    PingHandler ping = new PingHandler();
    BlobHandlers blobs = new BlobHandlers(registry, deletes);
    UploadHandlers uploads = new UploadHandlers(registry);
    ManifestHandlers manifests = new ManifestHandlers(registry, deletes);
    TagsHandler tags = new TagsHandler(registry);
    CatalogHandler catalog = new CatalogHandler(registry);
    ReferrersHandler referrers = new ReferrersHandler(registry);
    List<Route> routes = new ArrayList<>(List.of(
        route("/v2/?", NO_RESOURCE, Map.of(                                                       // end-1
            GET, Endpoint.noBody(ping::handle), HEAD, Endpoint.noBody(ping::handle))),
        route("/v2/_catalog", CATALOG, Map.of(GET, Endpoint.noBody(catalog::handle))),
        route("/v2/(?<name>.+)/tags/list", REPOSITORY, Map.of(GET, Endpoint.noBody(tags::handle))), // end-8a/8b
        route("/v2/(?<name>.+)/manifests/(?<reference>[^/]+)", REPOSITORY, Map.of(
            GET, Endpoint.noBody(manifests::get),                                     // end-3
            HEAD, Endpoint.noBody(manifests::get),                                    // end-3
            PUT, manifests.put(),                                                     // end-7
            DELETE, Endpoint.noBody(manifests::delete))),                             // end-9
        route("/v2/(?<name>.+)/blobs/uploads/?", REPOSITORY, Map.of(POST, uploads::post)),        // end-4a/4b/11
        route("/v2/(?<name>.+)/blobs/uploads/(?<uuid>[^/]+)", REPOSITORY, Map.of(
            PATCH, uploads::patch,                                                    // end-5
            PUT, uploads::put,                                                        // end-6
            GET, Endpoint.noBody(uploads::status),                                    // end-13
            DELETE, Endpoint.noBody(uploads::cancel))),
        route("/v2/(?<name>.+)/blobs/(?<digest>[^/]+)", REPOSITORY, Map.of(
            GET, Endpoint.noBody(blobs::get),                                         // end-2
            HEAD, Endpoint.noBody(blobs::get),                                        // end-2
            DELETE, Endpoint.noBody(blobs::delete))),                                 // end-10
        route("/v2/(?<name>.+)/referrers/(?<digest>[^/]+)", REPOSITORY, Map.of(
            GET, Endpoint.noBody(referrers::handle)))));                              // end-12a/12b
    tokens.map(TokenHandler::new).ifPresent(token -> routes.add(route(Pattern.quote(BearerAuthenticator.TOKEN_PATH),
        OPEN, Map.of(GET, Endpoint.noBody(token::get), POST, token.post()))));
    table = List.copyOf(routes);
  }

  private static Route route(String regex, AccessRule access, Map<HttpMethod, Endpoint> endpoints) {
    Pattern p = Pattern.compile(regex);
    List<String> groups = Pattern.compile("\\(\\?<([a-z]+)>").matcher(regex).results().map(r -> r.group(1)).toList();
    return new Route(p, groups, access, endpoints);
  }

  /**
   * Finds the endpoint for a request.
   *
   * @throws RegistryException 404 when no route matches, 405 UNSUPPORTED when the route has no such method
   */
  public Match match(HttpMethod method, QueryStringDecoder uri) {
    String rawPath = uri.rawPath();
    for (Route route : table) {
      Matcher m = route.pattern.matcher(rawPath);
      if (!m.matches()) {
        continue;
      }
      Endpoint endpoint = route.endpoints.get(method);
      if (endpoint == null) {
        throw new RegistryException(ErrorCode.UNSUPPORTED, "method " + method + " not allowed on " + rawPath);
      }
      Map<String, String> params = new HashMap<>();
      for (String g : route.groups) {
        params.put(g, m.group(g));
      }
      List<Access> access = route.access.of(method, params, uri);
      return new Match(endpoint, params, access == null ? List.of() : access, access == null);
    }
    throw new RegistryException(ErrorCode.NAME_UNKNOWN, 404, "no such endpoint: " + Text.abbreviate(rawPath, 200));
  }

}
