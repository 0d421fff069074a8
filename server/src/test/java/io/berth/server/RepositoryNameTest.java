package io.berth.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Invalid repository names, sent raw (no client-side normalisation of {@code ..} or percent-escapes): each gets
 * a 4xx (NAME_INVALID), never a 500, never touches storage, and never reaches another repository.
 */
class RepositoryNameTest extends ServerTestBase {
  static final String VICTIM = "team/app";
  Baseline baseline;

  @BeforeEach
  void storeVictim() {
    baseline = storeBaseline(VICTIM);
  }

  static final List<String> BAD_NAMES = List.of(
      "Team/App",
      "team/App",
      "..",
      "team/..",
      "team/../app",
      "x/../team/app",
      "a//b",
      "/team/app",
      "team/app/",
      "team%2Fapp",
      "team%2fapp",
      "%2e%2e",
      "x/%2e%2e/team/app",
      "%2e%2e/%2e%2e/srv",
      "../../etc/passwd",
      "../../srv",
      "team/_uploads",
      "team/app/_manifests",
      ".hidden",
      "-team",
      "team/app%00",
      "team\\app",
      "a".repeat(256),
      ("abcdefghij/".repeat(24) + "abcdefghijklmnop").substring(0, 256));

  /** Sends one request on its own connection and returns the response. */
  RawHttp.Response raw(String method, String target, byte[] body, String contentType) throws IOException {
    try (RawHttp c = new RawHttp(port())) {
      StringBuilder head = new StringBuilder()
          .append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
          .append("Host: 127.0.0.1\r\nConnection: close\r\n");
      if (contentType != null) {
        head.append("Content-Type: ").append(contentType).append("\r\n");
      }
      if (body != null) {
        head.append("Content-Length: ").append(body.length).append("\r\n");
      }
      head.append("\r\n");
      c.send(head.toString());
      if (body != null) {
        c.send(body);
      }
      return method.equals("HEAD") ? c.readHeadResponse() : c.read();
    }
  }

  @Test
  void invalidNamesAreRefusedOnEveryEndpointAndTouchNothing() throws IOException {
    byte[] manifest = baseline.manifest();
    byte[] blob = randomBytes(1000, 99);
    Map<String, String> before = snapshot();
    List<String> problems = new ArrayList<>();
    for (String name : BAD_NAMES) {
      String b = "/v2/" + name;
      Object[][] requests = {
          {"GET", b + "/tags/list", null, null},
          {"GET", b + "/manifests/v1", null, null},
          {"HEAD", b + "/manifests/v1", null, null},
          {"PUT", b + "/manifests/v2", manifest, OCI_MANIFEST},
          {"PUT", b + "/manifests/v1", manifest, OCI_MANIFEST},
          {"DELETE", b + "/manifests/v1", null, null},
          {"DELETE", b + "/manifests/" + baseline.manifestDigest(), null, null},
          {"POST", b + "/blobs/uploads/", null, null},
          {"POST", b + "/blobs/uploads/?digest=" + sha256(blob), blob, "application/octet-stream"},
          {"POST", b + "/blobs/uploads/?mount=" + baseline.blobDigest() + "&from=" + VICTIM, null, null},
          {"GET", b + "/blobs/" + baseline.blobDigest(), null, null},
          {"HEAD", b + "/blobs/" + baseline.blobDigest(), null, null},
          {"DELETE", b + "/blobs/" + baseline.blobDigest(), null, null},
          {"GET", b + "/referrers/" + baseline.manifestDigest(), null, null},
      };
      for (Object[] req : requests) {
        String method = (String) req[0];
        String target = (String) req[1];
        RawHttp.Response r = raw(method, target, (byte[]) req[2], (String) req[3]);
        String what = method + " " + abbreviate(target) + " -> " + r.status() + " " + r.bodyText();
        if (r.status() < 400 || r.status() >= 500) {
          problems.add("not a 4xx: " + what);
          continue;
        }
        assertNoStackTrace(r.bodyText());
        if (method.equals("HEAD")) {
          continue;
        }
        String code = r.body().length == 0 ? "" : json(r.body()).path("errors").path(0).path("code").asText();
        boolean ok = (r.status() == 400 && code.equals("NAME_INVALID")) || (r.status() == 404 && !code.isEmpty());
        if (!ok) {
          problems.add("expected 400 NAME_INVALID (or 404 no route): " + what);
        }
      }
    }
    assertEquals(List.of(), problems);
    assertEquals(before, snapshot(), "an invalid name changed storage (or wrote outside the data root)");
    assertBaselineIntact(baseline);
  }

  @Test
  void nameAtTheLengthLimitIsAcceptedAndOneOverIsNot() throws IOException {
    String max = "a".repeat(255);
    RawHttp.Response ok = raw("POST", "/v2/" + max + "/blobs/uploads/", null, null);
    assertEquals(202, ok.status(), ok::toString);
    RawHttp.Response over = raw("POST", "/v2/" + max + "b/blobs/uploads/", null, null);
    assertError(400, "NAME_INVALID", over);
  }

  @Test
  void dotSegmentsNeverReachTheOtherRepository() throws IOException {
    byte[] other = pushImageBlobs("x", "attacker");
    Map<String, String> before = snapshot();
    // Deleting or overwriting team/app through a path that would normalise to it.
    for (String prefix : List.of("/v2/x/../team/app", "/v2/x/%2e%2e/team/app", "/v2/x/%2E%2E/team/app",
        "/v2/team/./app", "/v2/team/%2e/app")) {
      RawHttp.Response del = raw("DELETE", prefix + "/manifests/v1", null, null);
      assertTrue(del.status() >= 400 && del.status() < 500, () -> "DELETE " + prefix + ": " + del);
      RawHttp.Response put = raw("PUT", prefix + "/manifests/v1", other, OCI_MANIFEST);
      assertTrue(put.status() >= 400 && put.status() < 500, () -> "PUT " + prefix + ": " + put);
      RawHttp.Response blobDel = raw("DELETE", prefix + "/blobs/" + baseline.blobDigest(), null, null);
      assertTrue(blobDel.status() >= 400 && blobDel.status() < 500, () -> "DELETE blob " + prefix + ": " + blobDel);
    }
    assertEquals(before, snapshot());
    assertBaselineIntact(baseline);
    assertEquals(new String(baseline.manifest(), UTF_8),
        new String(get("/v2/" + VICTIM + "/manifests/v1").body(), UTF_8));
  }

  static String abbreviate(String s) {
    return s.length() > 120 ? s.substring(0, 120) + "..." : s;
  }
}
