package io.berth.conformance;

import static io.berth.conformance.Responses.assertHeader;
import static io.berth.conformance.Responses.assertStatus;
import static io.berth.conformance.Responses.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Content discovery, referrers: {@code GET /v2/<name>/referrers/<digest>} answers with an image index. */
abstract class ReferrersWorkflow extends Workflow {
  private static final String SBOM = "application/vnd.example.sbom.v1";
  private static final String SIGNATURE = "application/vnd.example.signature.v1";

  @BeforeEach
  void referrersApiIsExpected() {
    assumeTrue(target().followsSpec(Deviation.NO_REFERRERS_API),
        "referrers API: see DEVIATIONS.md");
  }

  /** An artifact typed by {@code artifactType}, with an annotation the index must copy. */
  private Manifest sbomFor(String repo, Manifest subject) {
    Blob empty = Blob.of("{}");
    push().blob(repo, empty);
    Manifest sbom = ImageManifestBuilder.oci().artifactType(SBOM).config(empty).configMediaType(MediaTypes.OCI_EMPTY)
        .subject(subject).annotation("org.example.kind", "sbom").build();
    push().manifest(repo, sbom.digest(), sbom);
    return sbom;
  }

  /** An artifact without {@code artifactType}: the index must type it by its config media type. */
  private Manifest signatureFor(String repo, Manifest subject) {
    Blob config = Blob.of("{\"signed\":true}");
    push().blob(repo, config);
    Manifest signature = ImageManifestBuilder.oci().config(config).configMediaType(SIGNATURE).subject(subject).build();
    push().manifest(repo, signature.digest(), signature);
    return signature;
  }

  private HttpResponse<byte[]> referrers(String repo, String digest, String query) {
    return client().get("/v2/" + repo + "/referrers/" + digest + query);
  }

  /** The index's descriptors by digest, after checking the index itself is well formed. */
  private static Map<String, JsonNode> descriptors(HttpResponse<byte[]> response) {
    assertStatus(200, response);
    assertHeader(MediaTypes.OCI_INDEX, "Content-Type", response);
    JsonNode index = json(response);
    assertEquals(2, index.path("schemaVersion").asInt());
    assertEquals(MediaTypes.OCI_INDEX, index.path("mediaType").asText());
    assertTrue(index.path("manifests").isArray(), "manifests is an array");
    Map<String, JsonNode> byDigest = new HashMap<>();
    index.path("manifests").forEach(d -> byDigest.put(d.path("digest").asText(), d));
    return byDigest;
  }

  @Test
  void listsEveryReferrerWithTypeSizeAndAnnotations() {
    String repo = newRepo("referrers");
    Manifest subject = push().image(repo, "v1").manifest();
    Manifest sbom = sbomFor(repo, subject);
    Manifest signature = signatureFor(repo, subject);

    Map<String, JsonNode> listed = descriptors(referrers(repo, subject.digest(), ""));

    assertEquals(2, listed.size(), () -> "referrers: " + listed.keySet());
    JsonNode sbomEntry = listed.get(sbom.digest());
    assertEquals(MediaTypes.OCI_MANIFEST, sbomEntry.path("mediaType").asText());
    assertEquals(sbom.size(), sbomEntry.path("size").asLong());
    assertEquals(SBOM, sbomEntry.path("artifactType").asText());
    assertEquals("sbom", sbomEntry.path("annotations").path("org.example.kind").asText());
    JsonNode signatureEntry = listed.get(signature.digest());
    assertEquals(signature.size(), signatureEntry.path("size").asLong());
    assertEquals(SIGNATURE, signatureEntry.path("artifactType").asText(), "artifactType falls back to config type");
  }

  @Test
  void artifactTypeFilterKeepsMatchingReferrersAndSaysSo() {
    String repo = newRepo("referrers");
    Manifest subject = push().image(repo, "v1").manifest();
    Manifest sbom = sbomFor(repo, subject);
    signatureFor(repo, subject);

    HttpResponse<byte[]> response = referrers(repo, subject.digest(), "?artifactType=" + SBOM);

    assertEquals(Set.of(sbom.digest()), descriptors(response).keySet());
    assertHeader("artifactType", "OCI-Filters-Applied", response);
  }

  @Test
  void subjectWithoutReferrersGetsEmptyIndex() {
    String repo = newRepo("referrers");
    Manifest subject = push().image(repo, "v1").manifest();

    assertEquals(Map.of(), descriptors(referrers(repo, subject.digest(), "")));
  }

  @Test
  void unknownSubjectGetsEmptyIndexNot404() {
    String repo = newRepo("referrers");
    push().image(repo, "v1");

    assertEquals(Map.of(), descriptors(referrers(repo, Digests.sha256("nothing".getBytes()), "")));
  }

  @Test
  void referrersOfAMissingSubjectAreListed() {
    // Signers may push the signature before the image; the referrer must be found once asked for.
    String repo = newRepo("referrers");
    Manifest absent = ImageManifestBuilder.oci().config(Blob.of("{\"later\":true}")).build();
    Manifest sbom = sbomFor(repo, absent);

    assertEquals(Set.of(sbom.digest()), descriptors(referrers(repo, absent.digest(), "")).keySet());
  }

  @Test
  void invalidDigestIsBadRequest() {
    String repo = newRepo("referrers");
    push().image(repo, "v1");

    assertStatus(400, referrers(repo, "sha256:not-hex", ""));
  }
}
