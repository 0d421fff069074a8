package io.berth.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Assertions on registry responses whose failure messages show the request and what came back. */
final class Responses {
  private Responses() {}

  static void assertStatus(int expected, HttpResponse<byte[]> response) {
    if (response.statusCode() != expected) {
      fail("expected " + expected + " but got " + describe(response));
    }
  }

  static void assertStatusIn(HttpResponse<byte[]> response, Integer... allowed) {
    if (!Arrays.asList(allowed).contains(response.statusCode())) {
      fail("expected one of " + Arrays.toString(allowed) + " but got " + describe(response));
    }
  }

  /** The header's first value; fails when it is missing. */
  static String header(HttpResponse<byte[]> response, String name) {
    return response.headers().firstValue(name)
        .orElseThrow(() -> new AssertionError("missing header " + name + " in " + describe(response)));
  }

  static void assertHeader(String expected, String name, HttpResponse<byte[]> response) {
    assertEquals(expected, header(response, name), () -> name + " of " + describe(response));
  }

  static JsonNode json(HttpResponse<byte[]> response) {
    return Json.parse(response.body());
  }

  /**
   * The spec's error envelope: {@code {"errors":[{"code":"...","message":"...","detail":...}]}}, with the expected
   * status and with {@code code} among the errors. The spec makes {@code message} optional; it is required here
   * because every client shows it to the user and both reference and Berth send it.
   */
  static void assertError(int status, String code, HttpResponse<byte[]> response) {
    assertStatus(status, response);
    assertErrorBody(code, response);
  }

  static void assertErrorBody(String code, HttpResponse<byte[]> response) {
    String contentType = response.headers().firstValue("Content-Type").orElse("");
    assertTrue(contentType.startsWith("application/json"), () -> "error Content-Type of " + describe(response));
    JsonNode errors = json(response).path("errors");
    assertTrue(errors.isArray() && !errors.isEmpty(), () -> "no errors array in " + describe(response));
    List<String> codes = new ArrayList<>();
    for (JsonNode error : errors) {
      assertTrue(error.path("code").isTextual(), () -> "error without a code in " + describe(response));
      assertTrue(error.path("code").asText().matches("[A-Z_]+"), () -> "malformed code in " + describe(response));
      assertTrue(error.path("message").isTextual(), () -> "error without a message in " + describe(response));
      codes.add(error.path("code").asText());
    }
    assertTrue(codes.contains(code), () -> "expected error code " + code + " in " + describe(response));
  }

  static void assertNoBody(HttpResponse<byte[]> response) {
    assertFalse(response.body().length > 0, () -> "expected no body: " + describe(response));
  }

  static String describe(HttpResponse<byte[]> response) {
    String body = new String(response.body(), StandardCharsets.UTF_8);
    if (body.length() > 500) {
      body = body.substring(0, 500) + "...";
    }
    return response.request().method() + " " + response.request().uri() + " -> " + response.statusCode()
        + " " + response.headers().map() + (body.isEmpty() ? "" : " body: " + body);
  }
}
