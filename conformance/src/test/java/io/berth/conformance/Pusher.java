package io.berth.conformance;

import static io.berth.conformance.Responses.assertStatus;
import static io.berth.conformance.Responses.header;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpResponse;

/**
 * Puts content in place for tests whose subject is something else (pulling, listing, deleting). Uses the plainest
 * push flow (POST, then PUT with the whole body) and asserts each step, so a broken push shows up as a push failure.
 */
final class Pusher {
  private final RegistryClient client;

  Pusher(RegistryClient client) {
    this.client = client;
  }

  /** An image pushed under a tag: its config, its one layer and its manifest. */
  record Image(Blob config, Blob layer, Manifest manifest) {}

  void blob(String repo, Blob blob) {
    HttpResponse<byte[]> started = client.post("/v2/" + repo + "/blobs/uploads/", new byte[0]);
    assertStatus(202, started);
    String location = header(started, "Location");
    HttpResponse<byte[]> finished = client.put(RegistryClient.withQuery(location, "digest=" + blob.digest()),
        blob.bytes(), "Content-Type", "application/octet-stream");
    assertStatus(201, finished);
  }

  /** Pushes a manifest under a tag or digest reference; returns the response for callers that check headers. */
  HttpResponse<byte[]> manifest(String repo, String reference, Manifest manifest) {
    HttpResponse<byte[]> response = client.put("/v2/" + repo + "/manifests/" + reference, manifest.bytes(),
        "Content-Type", manifest.mediaType());
    assertStatus(201, response);
    assertEquals(manifest.digest(), header(response, "Docker-Content-Digest"));
    return response;
  }

  /** An OCI image with random content: config and layer blobs, then the manifest under {@code tag}. */
  Image image(String repo, String tag) {
    Blob config = Blob.of("{\"architecture\":\"amd64\",\"os\":\"linux\",\"nonce\":\"" + System.nanoTime() + "\"}");
    Blob layer = Blob.random(1024);
    blob(repo, config);
    blob(repo, layer);
    Manifest manifest = ImageManifestBuilder.oci().config(config).layer(layer).build();
    manifest(repo, tag, manifest);
    return new Image(config, layer, manifest);
  }
}
