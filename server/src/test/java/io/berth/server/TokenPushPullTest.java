package io.berth.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Token mode as clients use it: a push and a pull with tokens from the endpoint, anonymous pull where the rules
 * allow it and nowhere else, deletes only with a delete grant, and cross-repository mounts that never leak a blob
 * the token can't read.
 */
class TokenPushPullTest extends TokenTestBase {

  @Test
  void aPushWithATokenThenAPullWithAnotherUsersPullOnlyToken() {
    String alice = token(ALICE, "repository:team/app:pull,push");
    byte[] manifest = pushImage(alice, "team/app", "v1", "one");
    String digest = sha256(manifest);

    String bob = token(BOB, "repository:team/app:pull,push");
    assertEquals(Map.of("repository:team/app", Set.of("pull")), accessOf(bob), "push trimmed, no error");
    HttpResponse<byte[]> byTag = as(bob, "GET", "/v2/team/app/manifests/v1", null, "Accept", OCI_MANIFEST);
    assertEquals(200, byTag.statusCode(), () -> text(byTag));
    assertArrayEquals(manifest, byTag.body());
    assertEquals(digest, byTag.headers().firstValue("Docker-Content-Digest").orElse(null));
    String layer = json(manifest).get("layers").get(0).get("digest").asText();
    HttpResponse<byte[]> blob = as(bob, "GET", "/v2/team/app/blobs/" + layer, null);
    assertEquals(200, blob.statusCode());
    assertEquals(layer, sha256(blob.body()));
    assertEquals(200, as(bob, "HEAD", "/v2/team/app/blobs/" + layer, null).statusCode());
    assertEquals(200, as(bob, "GET", "/v2/team/app/referrers/" + digest, null).statusCode());
    assertEquals("[\"v1\"]", tags(bob, "team/app"));

    Map<String, String> before = snapshot();
    assertChallenged(as(bob, "PUT", "/v2/team/app/manifests/v2", manifest, "Content-Type", OCI_MANIFEST),
        "repository:team/app:pull,push", "insufficient_scope");
    assertEquals(before, snapshot());
    assertEquals("[\"v1\"]", tags(bob, "team/app"));
  }

  @Test
  void deletingNeedsADeleteGrant() {
    String alice = token(ALICE, "repository:team/app:pull,push");
    String digest = sha256(pushImage(alice, "team/app", "v1", "one"));
    assertChallenged(as(alice, "DELETE", "/v2/team/app/manifests/" + digest, null), "repository:team/app:delete",
        "insufficient_scope");
    String deleter = token(ALICE, "repository:team/app:pull,delete");
    assertEquals(202, as(deleter, "DELETE", "/v2/team/app/manifests/" + digest, null).statusCode());
    assertError(404, "MANIFEST_UNKNOWN", as(alice, "GET", "/v2/team/app/manifests/v1", null));
  }

  @Test
  void anonymousTokensPullWhereAnyoneMayAndPushNowhere() {
    String alice = token(ALICE, "repository:public/base:pull,push", "repository:team/app:pull,push");
    byte[] manifest = pushImage(alice, "public/base", "latest", "pub");
    pushImage(alice, "team/app", "v1", "team");

    String anonymous = token(null, "repository:public/base:pull,push", "repository:team/app:pull");
    assertEquals(Map.of("repository:public/base", Set.of("pull")), accessOf(anonymous));
    HttpResponse<byte[]> pulled = as(anonymous, "GET", "/v2/public/base/manifests/latest", null);
    assertEquals(200, pulled.statusCode(), () -> text(pulled));
    assertArrayEquals(manifest, pulled.body());
    String layer = json(manifest).get("layers").get(0).get("digest").asText();
    assertEquals(200, as(anonymous, "GET", "/v2/public/base/blobs/" + layer, null).statusCode());

    Map<String, String> before = snapshot();
    byte[] content = randomBytes(200, 9);
    assertChallenged(as(anonymous, "POST", "/v2/public/base/blobs/uploads/?digest=" + sha256(content), content),
        "repository:public/base:pull,push", "insufficient_scope");
    assertChallenged(as(anonymous, "PUT", "/v2/public/base/manifests/evil", manifest, "Content-Type", OCI_MANIFEST),
        "repository:public/base:pull,push", "insufficient_scope");
    assertChallenged(as(anonymous, "GET", "/v2/team/app/manifests/v1", null), "repository:team/app:pull",
        "insufficient_scope");
    assertChallenged(request("GET", "/v2/public/base/manifests/latest", null), "repository:public/base:pull", null);
    assertEquals(before, snapshot(), "nothing stored by the refused pushes");
    assertEquals("[\"latest\"]", tags(anonymous, "public/base"));
  }

  @Test
  void theCatalogNeedsTheCatalogGrant() {
    String alice = token(ALICE, "repository:team/app:pull,push", "registry:catalog:*");
    pushImage(alice, "team/app", "v1", "one");
    HttpResponse<byte[]> catalog = as(alice, "GET", "/v2/_catalog", null);
    assertEquals(200, catalog.statusCode(), () -> text(catalog));
    assertEquals("[\"team/app\"]", json(catalog.body()).get("repositories").toString());
    String bob = token(BOB, "registry:catalog:*", "repository:team/app:pull");
    assertChallenged(as(bob, "GET", "/v2/_catalog", null), "registry:catalog:*", "insufficient_scope");
  }

  // ---- cross-repository mounts ----

  HttpResponse<byte[]> mount(String token, String into, String digest, String from) {
    return as(token, "POST", "/v2/" + into + "/blobs/uploads/?mount=" + digest + "&from=" + from, null);
  }

  /** An upload session was started instead of a mount: 202 with a Location, no digest. */
  static void assertFellBackToUpload(HttpResponse<byte[]> r, String into) {
    assertEquals(202, r.statusCode(), () -> "an upload, not a mount: " + text(r));
    assertTrue(URI.create(r.headers().firstValue("Location").orElseThrow()).getPath()
        .startsWith("/v2/" + into + "/blobs/uploads/"), () -> text(r));
  }

  @Test
  void aMountNeedsATokenThatReadsTheSource() {
    String owner = token(ALICE, "repository:team/src:pull,push");
    byte[] secret = randomBytes(900, 11);
    String digest = pushBlob(owner, "team/src", secret);

    String both = token(ALICE, "repository:team/dst:pull,push", "repository:team/src:pull");
    HttpResponse<byte[]> mounted = mount(both, "team/dst", digest, "team/src");
    assertEquals(201, mounted.statusCode(), () -> text(mounted));
    assertEquals(digest, mounted.headers().firstValue("Docker-Content-Digest").orElse(null));
    assertArrayEquals(secret, as(both, "GET", "/v2/team/dst/blobs/" + digest, null).body());

    // the rules would let alice read team/src, but this token doesn't: the token is what counts
    String dstOnly = token(ALICE, "repository:team/dst2:pull,push");
    assertFellBackToUpload(mount(dstOnly, "team/dst2", digest, "team/src"), "team/dst2");
    assertError(404, "BLOB_UNKNOWN", as(dstOnly, "GET", "/v2/team/dst2/blobs/" + digest, null));

    // carol may not read team/src at all: asking for it gets her a token without it, and the mount is an upload
    String carol = token(CAROL, "repository:scratch/dst:pull,push", "repository:team/src:pull");
    assertEquals(Map.of("repository:scratch/dst", Set.of("pull", "push")), accessOf(carol));
    assertFellBackToUpload(mount(carol, "scratch/dst", digest, "team/src"), "scratch/dst");
    assertError(404, "BLOB_UNKNOWN", as(carol, "GET", "/v2/scratch/dst/blobs/" + digest, null));
    assertEquals(404, as(carol, "HEAD", "/v2/scratch/dst/blobs/" + digest, null).statusCode());

    // tokens that read something else than the source don't help either
    for (Map<String, Object> elsewhere : List.of(repo("team/src2", "pull"), repo("team/sr", "pull"),
        repo("team/src/sub", "pull"), repo("team/*", "pull"), repo("team/src", "push"), repo("team/src"),
        grant("registry", "team/src", "pull"))) {
      String token = mint(List.of(repo("scratch/dst", "pull", "push"), elsewhere));
      assertFellBackToUpload(mount(token, "scratch/dst", digest, "team/src"), "scratch/dst");
    }
    assertFellBackToUpload(mount(carol, "scratch/dst", digest, "scratch/../team/src"), "scratch/dst");
    assertFellBackToUpload(mount(carol, "scratch/dst", digest, "scratch/dst"), "scratch/dst");
    assertError(404, "BLOB_UNKNOWN", as(carol, "GET", "/v2/scratch/dst/blobs/" + digest, null));

    // a token that does read the source mounts it: the refusals above were about the grant
    String reader = mint(List.of(repo("scratch/dst", "pull", "push"), repo("team/src", "pull")));
    assertEquals(201, mount(reader, "scratch/dst", digest, "team/src").statusCode());
  }
}
