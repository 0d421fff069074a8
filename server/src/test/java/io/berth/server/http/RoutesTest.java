package io.berth.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.berth.oci.ErrorCode;
import io.berth.oci.RegistryException;
import io.berth.registry.Registry;
import io.berth.server.auth.Access;
import io.berth.server.config.ServerConfig;
import io.berth.storage.fs.FilesystemDriver;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The route table: which endpoint a request reaches, with which path parts, needing which access. */
class RoutesTest {
  @TempDir
  Path root;
  Routes routes;

  @BeforeEach
  void setUp() throws IOException {
    routes = new Routes(new Registry(new FilesystemDriver(root)), ServerConfig.DEFAULTS);
  }

  private Routes.Match match(String method, String uri) {
    return routes.match(HttpMethod.valueOf(method), new QueryStringDecoder(uri));
  }

  private List<String> scopes(String method, String uri) {
    return match(method, uri).access().stream().map(Access::scope).toList();
  }

  @Test
  void namesWithSeveralComponentsAreCaptured() {
    assertEquals(Map.of("name", "team/app/api", "reference", "v1"), match("GET", "/v2/team/app/api/manifests/v1").pathParams());
    assertEquals("team/app", match("PATCH", "/v2/team/app/blobs/uploads/abc").pathParams().get("name"));
    assertEquals("abc", match("PATCH", "/v2/team/app/blobs/uploads/abc").pathParams().get("uuid"));
    assertEquals("team/app", match("POST", "/v2/team/app/blobs/uploads/").pathParams().get("name"));
  }

  @Test
  void eachRequestNeedsTheAccessTokenScopesName() {
    assertEquals(List.of(), scopes("GET", "/v2/"));
    assertEquals(List.of("registry:catalog:*"), scopes("GET", "/v2/_catalog?n=10"));
    assertEquals(List.of("repository:team/app:pull"), scopes("HEAD", "/v2/team/app/blobs/sha256:abc"));
    assertEquals(List.of("repository:team/app:pull"), scopes("GET", "/v2/team/app/tags/list"));
    assertEquals(List.of("repository:team/app:pull"), scopes("GET", "/v2/team/app/referrers/sha256:abc"));
    assertEquals(List.of("repository:team/app:pull,push"), scopes("PUT", "/v2/team/app/manifests/1"));
    assertEquals(List.of("repository:team/app:pull,push"), scopes("PATCH", "/v2/team/app/blobs/uploads/u"));
    assertEquals(List.of("repository:team/app:pull,push"), scopes("POST", "/v2/team/app/blobs/uploads/"));
    assertEquals(List.of("repository:team/app:delete"), scopes("DELETE", "/v2/team/app/manifests/1"));
    assertEquals(List.of("repository:team/app:delete"), scopes("DELETE", "/v2/team/app/blobs/sha256:abc"));
  }

  @Test
  void aMountNeedsOnlyPushOnItsTarget() {
    // Reading the source is checked by the upload handler, which falls back to an upload when it may not.
    assertEquals(List.of("repository:team/app:pull,push"),
        scopes("POST", "/v2/team/app/blobs/uploads/?mount=sha256:abc&from=base/image"));
  }

  /**
   * The name a request's access is checked for is the name the handler uses, so one that is no repository name
   * is refused before authentication: never checked against the rules, never echoed into a challenge's scope.
   */
  @Test
  void aNameThatIsNoRepositoryNameIsRefusedBeforeAnyAccessIsWorkedOut() {
    for (String uri : List.of("/v2/Team/App/tags/list", "/v2/a\",error=\"x/manifests/latest",
        "/v2/team%2Fapp/blobs/sha256:abc", "/v2/team/../app/blobs/uploads/u", "/v2/a b/referrers/sha256:abc")) {
      RegistryException e = assertThrows(RegistryException.class, () -> match("GET", uri), uri);
      assertEquals(ErrorCode.NAME_INVALID, e.code(), uri);
      assertEquals(400, e.httpStatus(), uri);
    }
  }

  @Test
  void unknownPathsAndMethodsAreRefused() {
    assertEquals(404, assertThrows(RegistryException.class, () -> match("GET", "/v3/")).httpStatus());
    RegistryException wrongMethod = assertThrows(RegistryException.class, () -> match("POST", "/v2/team/app/tags/list"));
    assertEquals(ErrorCode.UNSUPPORTED, wrongMethod.code());
    assertEquals(405, wrongMethod.httpStatus());
  }
}
