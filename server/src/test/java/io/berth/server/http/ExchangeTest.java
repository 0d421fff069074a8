package io.berth.server.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.server.auth.Access;
import io.berth.server.auth.Caller;
import io.berth.server.auth.Grant;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExchangeTest {
  /** What a request may do beyond its route's access (a mount's source) is nothing until authentication says. */
  @Test
  void anExchangeThatAuthenticationHasNotLookedAtPermitsNothing() {
    String uri = "/v2/team/app/blobs/uploads/?mount=sha256:abc&from=secret/repo";
    Exchange exchange = new Exchange(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri),
        Map.of("name", "team/app"), new QueryStringDecoder(uri), new Caller(null, "192.0.2.1", "http://x"));
    Access source = Access.repository("secret/repo", Access.PULL);
    assertFalse(exchange.permits(source));
    exchange.grant(Grant.ALL);
    assertTrue(exchange.permits(source));
  }
}
