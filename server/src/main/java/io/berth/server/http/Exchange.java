package io.berth.server.http;

import io.berth.oci.ErrorCode;
import io.berth.oci.RegistryException;
import io.berth.oci.RepositoryName;
import io.berth.server.auth.Access;
import io.berth.server.auth.Caller;
import io.berth.server.auth.Grant;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.Map;

/** One request as handlers see it: method, headers, the path's parts and the query. */
public final class Exchange {
  private final HttpRequest request;
  private final Map<String, String> pathParams;
  private final QueryStringDecoder query;
  private final Caller caller;
  /** Nothing until authentication has said otherwise: a path that forgot to ask fails closed. */
  private Grant grant = Grant.NONE;

  Exchange(HttpRequest request, Map<String, String> pathParams, QueryStringDecoder query, Caller caller) {
    this.request = request;
    this.caller = caller;
    this.pathParams = pathParams;
    this.query = query;
  }

  /** Set once authentication has let the request through. */
  void grant(Grant grant) {
    this.grant = grant;
  }

  /** Whether the request's identity may also do {@code access} (beyond what its route required). */
  public boolean permits(Access access) {
    return grant.allows(access);
  }

  /** Who sent the request: its credentials, address and the origin it addressed. */
  public Caller caller() {
    return caller;
  }

  /** The client's address, for throttling failed sign-ins. */
  public String clientAddress() {
    return caller.address();
  }

  public HttpMethod method() {
    return request.method();
  }

  public boolean isHead() {
    return HttpMethod.HEAD.equals(request.method());
  }

  public String header(CharSequence name) {
    return request.headers().get(name);
  }

  /** Every value of a header that may be sent several times. */
  public List<String> headers(CharSequence name) {
    return request.headers().getAll(name);
  }

  public String pathParam(String name) {
    return pathParams.get(name);
  }

  /** The repository named in the path, validated. */
  public RepositoryName repository() {
    return RepositoryName.parse(pathParams.get("name"));
  }

  /** A query parameter's first value, or null. */
  public String param(String name) {
    List<String> values = query.parameters().get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  public List<String> params(String name) {
    return query.parameters().getOrDefault(name, List.of());
  }

  /** A non-negative integer parameter, or null when absent. */
  public Integer intParam(String name, ErrorCode onInvalid) {
    String v = param(name);
    if (v == null) {
      return null;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new RegistryException(onInvalid, "invalid " + name + ": " + v);
    }
  }

  /** The request's declared body length, or -1 when it did not declare one (chunked). */
  public long contentLength() {
    String v = request.headers().get("Content-Length");
    if (v == null) {
      return -1;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
