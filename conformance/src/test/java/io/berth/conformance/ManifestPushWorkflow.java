package io.berth.conformance;

import static io.berth.conformance.Responses.assertError;
import static io.berth.conformance.Responses.assertErrorBody;
import static io.berth.conformance.Responses.assertHeader;
import static io.berth.conformance.Responses.assertStatus;
import static io.berth.conformance.Responses.assertStatusIn;
import static io.berth.conformance.Responses.header;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Push, manifest half: each manifest kind round-trips byte for byte, and bad manifests are refused. */
abstract class ManifestPushWorkflow extends Workflow {

  /** Reads the manifest back by tag and by digest and compares bytes, media type and digest with what was pushed. */
  private void assertRoundTrip(String repo, String tag, Manifest manifest) {
    for (String reference : List.of(tag, manifest.digest())) {
      HttpResponse<byte[]> get =
          client().get("/v2/" + repo + "/manifests/" + reference, "Accept", MediaTypes.ACCEPT_ALL_MANIFESTS);
      assertStatus(200, get);
      assertArrayEquals(manifest.bytes(), get.body(), "bytes of " + reference);
      assertHeader(manifest.mediaType(), "Content-Type", get);
      assertHeader(manifest.digest(), "Docker-Content-Digest", get);
    }
  }

  private Manifest pushOciImage(String repo) {
    Blob config = Blob.of("{\"os\":\"linux\",\"nonce\":\"" + System.nanoTime() + "\"}");
    Blob layer = Blob.random(512);
    push().blob(repo, config);
    push().blob(repo, layer);
    Manifest manifest = ImageManifestBuilder.oci().config(config).layer(layer).build();
    push().manifest(repo, manifest.digest(), manifest);
    return manifest;
  }

  private Manifest pushDockerImage(String repo) {
    Blob config = Blob.of("{\"os\":\"linux\",\"nonce\":\"" + System.nanoTime() + "\"}");
    Blob layer = Blob.random(512);
    push().blob(repo, config);
    push().blob(repo, layer);
    Manifest manifest = ImageManifestBuilder.docker().config(config).layer(layer).build();
    push().manifest(repo, manifest.digest(), manifest);
    return manifest;
  }

  @Test
  void ociImageManifestByTag() {
    String repo = newRepo("push");
    Blob config = Blob.of("{\"os\":\"linux\"}");
    Blob layer = Blob.random(512);
    push().blob(repo, config);
    push().blob(repo, layer);
    Manifest manifest = ImageManifestBuilder.oci().config(config).layer(layer).build();

    HttpResponse<byte[]> put = client().put("/v2/" + repo + "/manifests/v1", manifest.bytes(),
        "Content-Type", manifest.mediaType());

    assertStatus(201, put);
    assertHeader(manifest.digest(), "Docker-Content-Digest", put);
    assertEquals(client().resolve("/v2/" + repo + "/manifests/" + manifest.digest()),
        client().resolve(header(put, "Location")));
    assertRoundTrip(repo, "v1", manifest);
  }

  @Test
  void ociIndexByTag() {
    String repo = newRepo("push");
    Manifest amd64 = pushOciImage(repo);
    Manifest arm64 = pushOciImage(repo);
    Manifest index = IndexBuilder.oci().manifest(amd64, "linux", "amd64").manifest(arm64, "linux", "arm64").build();

    push().manifest(repo, "multi", index);

    assertRoundTrip(repo, "multi", index);
  }

  @Test
  void dockerSchema2ManifestByTag() {
    String repo = newRepo("push");
    Manifest manifest = pushDockerImage(repo);

    push().manifest(repo, "docker", manifest);

    assertRoundTrip(repo, "docker", manifest);
  }

  @Test
  void dockerManifestListByTag() {
    String repo = newRepo("push");
    Manifest amd64 = pushDockerImage(repo);
    Manifest arm64 = pushDockerImage(repo);
    Manifest list =
        IndexBuilder.dockerList().manifest(amd64, "linux", "amd64").manifest(arm64, "linux", "arm64").build();

    push().manifest(repo, "list", list);

    assertRoundTrip(repo, "list", list);
  }

  @Test
  void tagMovesBetweenIndexAndImage() {
    // buildx pushes an index where a single-platform image used to be, and back: the tag must follow.
    String repo = newRepo("push");
    Manifest image = pushOciImage(repo);
    Manifest index = IndexBuilder.oci().manifest(image, "linux", "amd64").build();

    push().manifest(repo, "latest", image);
    push().manifest(repo, "latest", index);
    assertRoundTrip(repo, "latest", index);
    push().manifest(repo, "latest", image);
    assertRoundTrip(repo, "latest", image);
  }

  @Test
  void buildxIndexWithAttestationManifestsIsAccepted() {
    // buildx's default push: platform manifests plus one provenance manifest each, platform unknown/unknown.
    String repo = newRepo("push");
    Manifest amd64 = pushOciImage(repo);
    Blob statement = Blob.of("{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"predicateType\":\"https://slsa.dev/provenance/v0.2\"}");
    Blob attestationConfig = Blob.of("{\"architecture\":\"unknown\",\"os\":\"unknown\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
    push().blob(repo, statement);
    push().blob(repo, attestationConfig);
    Manifest attestation = ImageManifestBuilder.oci().config(attestationConfig)
        .layer(statement, "application/vnd.in-toto+json").build();
    push().manifest(repo, attestation.digest(), attestation);
    Manifest index = IndexBuilder.oci().manifest(amd64, "linux", "amd64").attestation(attestation, amd64).build();

    push().manifest(repo, "latest", index);

    assertRoundTrip(repo, "latest", index);
  }

  @Test
  void buildkitCacheIndexOfBlobsIsAccepted() {
    // --cache-to type=registry: an index whose entries are layers and a cache config, one of them listed twice.
    String repo = newRepo("push");
    Blob layer = Blob.random(256);
    Blob cacheConfig = Blob.of("{\"layers\":[],\"records\":[]}");
    push().blob(repo, layer);
    push().blob(repo, cacheConfig);
    Manifest cache = IndexBuilder.oci()
        .blob("application/vnd.oci.image.layer.v1.tar+gzip", layer)
        .blob("application/vnd.oci.image.layer.v1.tar+gzip", layer)
        .blob("application/vnd.buildkit.cacheconfig.v0", cacheConfig)
        .build();

    push().manifest(repo, "buildcache", cache);

    assertRoundTrip(repo, "buildcache", cache);
  }

  @Test
  void manifestReferencingMissingLayerIsManifestBlobUnknown() {
    String repo = newRepo("push");
    Blob config = Blob.of("{}");
    push().blob(repo, config);
    Manifest manifest = ImageManifestBuilder.oci().config(config).layer(Blob.random(64)).build();

    HttpResponse<byte[]> put = client().put("/v2/" + repo + "/manifests/v1", manifest.bytes(),
        "Content-Type", manifest.mediaType());

    assertStatusIn(put, 400, 404);
    assertErrorBody("MANIFEST_BLOB_UNKNOWN", put);
    assertStatus(404, client().head("/v2/" + repo + "/manifests/v1"));
  }

  @Test
  void manifestReferencingMissingConfigIsManifestBlobUnknown() {
    String repo = newRepo("push");
    Blob layer = Blob.random(64);
    push().blob(repo, layer);
    Manifest manifest = ImageManifestBuilder.oci().config(Blob.random(32)).layer(layer).build();

    HttpResponse<byte[]> put = client().put("/v2/" + repo + "/manifests/v1", manifest.bytes(),
        "Content-Type", manifest.mediaType());

    assertStatusIn(put, 400, 404);
    assertErrorBody("MANIFEST_BLOB_UNKNOWN", put);
  }

  @Test
  void malformedJsonIsManifestInvalid() {
    String repo = newRepo("push");
    byte[] broken = "{\"schemaVersion\": 2, \"mediaType\": ".getBytes(StandardCharsets.UTF_8);

    HttpResponse<byte[]> put = client().put("/v2/" + repo + "/manifests/v1", broken,
        "Content-Type", MediaTypes.OCI_MANIFEST);

    assertError(400, "MANIFEST_INVALID", put);
    assertStatus(404, client().head("/v2/" + repo + "/manifests/v1"));
  }

  @Test
  void pushByDigestThatDoesNotMatchBodyIsRefused() {
    String repo = newRepo("push");
    Manifest manifest = pushOciImage(repo);
    String otherDigest = Digests.sha256("something else".getBytes(StandardCharsets.UTF_8));

    HttpResponse<byte[]> put = client().put("/v2/" + repo + "/manifests/" + otherDigest, manifest.bytes(),
        "Content-Type", manifest.mediaType());

    assertStatus(400, put);
    assertStatus(404, client().head("/v2/" + repo + "/manifests/" + otherDigest));
  }

  @Test
  void pushByDigestWithTagQueryCreatesTags() {
    assumeTrue(target().followsSpec(Deviation.NO_TAG_QUERY_ON_PUSH), "?tag= on push: see DEVIATIONS.md");
    String repo = newRepo("push");
    push().blob(repo, Blob.of("{}"));
    Manifest tagged = ImageManifestBuilder.oci().config(Blob.of("{}")).build();

    HttpResponse<byte[]> put = client().put("/v2/" + repo + "/manifests/" + tagged.digest() + "?tag=alpha&tag=beta",
        tagged.bytes(), "Content-Type", tagged.mediaType());

    assertStatus(201, put);
    assertEquals(List.of("alpha", "beta"), put.headers().allValues("OCI-Tag").stream().sorted().toList());
    assertRoundTrip(repo, "alpha", tagged);
    assertRoundTrip(repo, "beta", tagged);
  }

  @Test
  void manifestWithMissingSubjectIsAccepted() {
    String repo = newRepo("push");
    Manifest absentSubject = ImageManifestBuilder.oci().config(Blob.of("{\"absent\":true}")).build();
    Blob empty = Blob.of("{}");
    push().blob(repo, empty);
    Manifest artifact = ImageManifestBuilder.oci().artifactType("application/vnd.example.sbom")
        .config(empty).configMediaType(MediaTypes.OCI_EMPTY).subject(absentSubject).build();

    HttpResponse<byte[]> put = client().put("/v2/" + repo + "/manifests/" + artifact.digest(), artifact.bytes(),
        "Content-Type", artifact.mediaType());

    assertStatus(201, put);
    assertRoundTrip(repo, artifact.digest(), artifact);
    if (target().followsSpec(Deviation.NO_OCI_SUBJECT_HEADER)) {
      assertHeader(absentSubject.digest(), "OCI-Subject", put);
    }
  }

  @Test
  void manifestOfFourMegabytesIsAccepted() {
    // The spec says registries SHOULD accept manifests of at least 4 MB; an annotation pads one to exactly that.
    String repo = newRepo("push");
    Blob config = Blob.of("{}");
    push().blob(repo, config);
    int overhead = ImageManifestBuilder.oci().config(config).annotation("padding", "").build().size();
    Manifest manifest = ImageManifestBuilder.oci().config(config)
        .annotation("padding", "x".repeat(4_000_000 - overhead)).build();
    assertEquals(4_000_000, manifest.size());

    push().manifest(repo, "big", manifest);

    assertRoundTrip(repo, "big", manifest);
  }

  @Test
  void manifestReferencingBlobOfAnotherRepositoryIsManifestBlobUnknown() {
    // A blob only belongs to the repositories it was pushed or mounted to; referencing it elsewhere must not
    // smuggle it into a repository whose readers were never granted it.
    String owner = newRepo("push");
    String other = newRepo("push");
    Blob config = Blob.of("{}");
    Blob layer = Blob.random(128);
    push().blob(owner, layer);
    push().blob(other, config);
    Manifest manifest = ImageManifestBuilder.oci().config(config).layer(layer).build();

    HttpResponse<byte[]> put = client().put("/v2/" + other + "/manifests/v1", manifest.bytes(),
        "Content-Type", manifest.mediaType());

    assertStatusIn(put, 400, 404);
    assertErrorBody("MANIFEST_BLOB_UNKNOWN", put);
  }
}
