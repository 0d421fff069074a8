package io.berth.oci;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ManifestTest {
  static final String D1 = "sha256:" + "1".repeat(64);
  static final String D2 = "sha256:" + "2".repeat(64);
  static final String D3 = "sha256:" + "3".repeat(64);

  static byte[] bytes(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  static final String OCI_IMAGE = """
      {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
       "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":10},
       "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":20}],
       "annotations":{"org.example":"yes"}}""".formatted(D1, D2);

  @Test
  void keepsTheExactBytesAndDigestsThem() {
    // Whitespace and key order as pushed: the digest is of these bytes, never of a re-serialisation.
    byte[] raw = bytes(OCI_IMAGE);
    Manifest m = Manifest.parse(raw, null, DigestAlgorithm.SHA256);
    assertArrayEquals(raw, m.bytes());
    assertEquals(Digest.sha256(raw), m.digest());
    assertEquals(MediaTypes.OCI_MANIFEST, m.mediaType());
    assertEquals(D1, m.config().orElseThrow().digest().toString());
    assertEquals(2, m.blobReferences().size());
    assertEquals("yes", m.annotations().get("org.example"));
  }

  @Test
  void readsAnIndexWithAttestationEntries() {
    String index = """
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":1,
           "platform":{"architecture":"amd64","os":"linux"}},
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":1,
           "platform":{"architecture":"unknown","os":"unknown"},
           "annotations":{"vnd.docker.reference.type":"attestation-manifest","vnd.docker.reference.digest":"%s"}}]}
        """.formatted(D1, D2, D1);
    Manifest m = Manifest.parse(bytes(index), MediaTypes.OCI_INDEX, DigestAlgorithm.SHA256);
    assertTrue(m.isIndex());
    assertEquals(2, m.manifests().size());
    assertTrue(m.blobReferences().isEmpty());
  }

  @Test
  void tellsTheTypeFromTheContentTypeOrTheFieldsWhenMediaTypeIsAbsent() {
    String noType = """
        {"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},
         "layers":[],"artifactType":"application/example","subject":{"mediaType":"%s","digest":"%s","size":3}}
        """.formatted(D1, MediaTypes.OCI_MANIFEST, D3);
    Manifest m = Manifest.parse(bytes(noType), null, DigestAlgorithm.SHA256);
    assertEquals(MediaTypes.OCI_MANIFEST, m.mediaType());
    assertEquals(D3, m.subject().orElseThrow().digest().toString());
    assertEquals("application/example", m.effectiveArtifactType());
    String noTypeIndex = """
        {"schemaVersion":2,"manifests":[]}""";
    assertEquals(MediaTypes.OCI_INDEX, Manifest.parse(bytes(noTypeIndex), null, DigestAlgorithm.SHA256).mediaType());
  }

  @Test
  void withoutAMediaTypeFieldTheContentTypeMustAgreeWithTheFields() {
    // Docker's types require the field; accepting one from the header alone would lose it once stored.
    String noType = """
        {"schemaVersion":2,"config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"%s","size":2},
         "layers":[]}""".formatted(D1);
    assertEquals(ErrorCode.MANIFEST_INVALID, assertThrows(RegistryException.class,
        () -> Manifest.parse(bytes(noType), MediaTypes.DOCKER_MANIFEST, DigestAlgorithm.SHA256)).code());
    assertEquals(ErrorCode.MANIFEST_INVALID, assertThrows(RegistryException.class,
        () -> Manifest.parse(bytes(noType), MediaTypes.OCI_INDEX, DigestAlgorithm.SHA256)).code());
    Manifest m = Manifest.parse(bytes(noType), MediaTypes.OCI_MANIFEST, DigestAlgorithm.SHA256);
    assertEquals(m.mediaType(), Manifest.storedMediaType(m.bytes()));
  }

  @Test
  void artifactTypeFallsBackToTheConfigMediaType() {
    assertEquals("application/vnd.oci.image.config.v1+json",
        Manifest.parse(bytes(OCI_IMAGE), null, DigestAlgorithm.SHA256).effectiveArtifactType());
  }

  @Test
  void readsDockerSchema2AndManifestLists() {
    String docker = """
        {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
         "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"%s","size":5},
         "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"%s","size":6}]}
        """.formatted(D1, D2);
    assertEquals(MediaTypes.DOCKER_MANIFEST,
        Manifest.parse(bytes(docker), MediaTypes.DOCKER_MANIFEST, DigestAlgorithm.SHA256).mediaType());
    String list = """
        {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json",
         "manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"%s","size":7,
         "platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}""".formatted(D1);
    Manifest m = Manifest.parse(bytes(list), null, DigestAlgorithm.SHA256);
    assertTrue(m.isIndex());
    assertEquals(D1, m.manifests().get(0).digest().toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "not json", "[]", "{}", "{\"schemaVersion\":1}", "{\"schemaVersion\":2,\"mediaType\":\"text/plain\",\"config\":{}}",
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}",
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:zz\",\"size\":1}}",
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"x\",\"digest\":\"" + "sha256:1111111111111111111111111111111111111111111111111111111111111111" + "\",\"size\":-1}}",
      "{\"schemaVersion\":2,\"manifests\":[]} trailing",
      "{\"schemaVersion\":2,\"schemaVersion\":2,\"manifests\":[]}"})
  void refusesWhatIsNotAManifest(String body) {
    RegistryException e = assertThrows(RegistryException.class,
        () -> Manifest.parse(bytes(body), null, DigestAlgorithm.SHA256));
    assertEquals(ErrorCode.MANIFEST_INVALID, e.code());
  }

  @Test
  void refusesAMediaTypeThatContradictsTheContentType() {
    RegistryException e = assertThrows(RegistryException.class,
        () -> Manifest.parse(bytes(OCI_IMAGE), MediaTypes.DOCKER_MANIFEST, DigestAlgorithm.SHA256));
    assertEquals(ErrorCode.MANIFEST_INVALID, e.code());
  }
}
