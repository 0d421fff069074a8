package io.berth.server.handlers;

import io.berth.server.auth.Denial;
import io.berth.server.auth.Identity;
import io.berth.server.auth.token.TokenService;
import io.berth.server.http.Endpoint;
import io.berth.server.http.Exchange;
import io.berth.server.http.Json;
import io.berth.server.http.Response;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

/**
 * The built-in token endpoint (the realm of our challenges).
 *
 * <ul>
 *   <li>{@code GET}: docker's form. Basic credentials, or none for an anonymous token; {@code service}, one or
 *       more {@code scope}; {@code offline_token=true} for a refresh token too (what {@code docker login} keeps).
 *   <li>{@code POST}: the OAuth2 form containerd and buildx try first, as {@code application/x-www-form-urlencoded}:
 *       {@code grant_type=password} with {@code username} and {@code password}, or {@code grant_type=refresh_token}
 *       with {@code refresh_token}; {@code scope} space-separated; {@code access_type=offline} for a refresh token.
 * </ul>
 */
public final class TokenHandler {
  /** A form with a password and a few dozen scopes fits well within this. */
  private static final int MAX_FORM_BYTES = 64 * 1024;

  private final TokenService tokens;

  public TokenHandler(TokenService tokens) {
    this.tokens = tokens;
  }

  public Response get(Exchange exchange) {
    String authorization = exchange.header(HttpHeaderNames.AUTHORIZATION);
    Identity who = authorization == null
        ? Identity.ANONYMOUS
        : tokens.signIn().basic(authorization, exchange.clientAddress());
    boolean offline = "true".equalsIgnoreCase(exchange.param("offline_token"));
    return answer(tokens.issue(who, exchange.param("service"), exchange.params("scope"), offline));
  }

  public Endpoint post() {
    return Endpoint.smallBody(MAX_FORM_BYTES, (exchange, body) -> {
      Map<String, List<String>> form = form(body);
      String service = first(form, "service");
      List<String> scopes = form.getOrDefault("scope", List.of());
      String grant = first(form, "grant_type");
      return switch (grant == null ? "" : grant) {
        case "password" -> {
          String user = first(form, "username");
          String password = first(form, "password");
          if (user == null || password == null) {
            throw Denial.badRequest("the password grant needs username and password");
          }
          Identity who = tokens.signIn().password(user, password, exchange.clientAddress());
          yield answer(tokens.issue(who, service, scopes, "offline".equals(first(form, "access_type"))));
        }
        case "refresh_token" -> {
          String refresh = first(form, "refresh_token");
          if (refresh == null) {
            throw Denial.badRequest("the refresh_token grant needs refresh_token");
          }
          yield answer(tokens.refresh(refresh, service, scopes));
        }
        default -> throw Denial.badRequest("grant_type must be password or refresh_token");
      };
    });
  }

  /**
   * The decoded form. A malformed escape is the client's 400, and its message is not passed on: Netty's quotes the
   * whole field, which may be the password.
   */
  private static Map<String, List<String>> form(byte[] body) {
    try {
      return new QueryStringDecoder(new String(body, StandardCharsets.UTF_8), StandardCharsets.UTF_8, false)
          .parameters();
    } catch (IllegalArgumentException malformed) {
      throw Denial.badRequest("the form is not application/x-www-form-urlencoded (a '%' not followed by two hex"
          + " digits)");
    }
  }

  private static String first(Map<String, List<String>> form, String name) {
    List<String> values = form.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  private static Response answer(TokenService.Issued issued) {
    var json = Json.object()
        .put("token", issued.token())
        .put("access_token", issued.token())
        .put("expires_in", issued.expiresIn().toSeconds())
        .put("issued_at", DateTimeFormatter.ISO_INSTANT.format(issued.issuedAt()));
    if (issued.refreshToken() != null) {
      json.put("refresh_token", issued.refreshToken());
    }
    return Response.status(HttpResponseStatus.OK)
        .header(HttpHeaderNames.CACHE_CONTROL, "no-store")
        .body("application/json", Json.bytes(json));
  }
}
