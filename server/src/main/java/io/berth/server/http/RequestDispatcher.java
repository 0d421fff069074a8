package io.berth.server.http;

import io.berth.oci.ErrorCode;
import io.berth.oci.Text;
import io.berth.server.auth.Authenticator;
import io.berth.server.auth.Grant;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one connection, one request at a time. Auto-read is off: the event loop asks the socket for the next
 * message only when the previous one is dealt with, so a body is read no faster than storage takes it. The event
 * loop parses and routes; every handler call runs on the storage executor, in order (one {@link SerialExecutor}
 * per connection).
 *
 * <p>Per request: head in → {@link Endpoint#begin} (executor) → {@code 100 Continue} if asked → body chunks →
 * {@link BodyHandler#onContent} (executor, one at a time) → {@link BodyHandler#end} → response written → next
 * request. A request refused at {@code begin} is answered before its body is read; the connection is then
 * closed if a body was on its way, since reading it would be wasted.
 */
final class RequestDispatcher extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(RequestDispatcher.class);
  /** One line per answered request, at debug level. */
  private static final Logger access = LoggerFactory.getLogger("io.berth.access");
  /** How much of a refused request's body is read and dropped before the connection is closed. */
  private static final long LINGER_BYTES = 16L << 20; // more than a refused manifest (4 MiB) can be
  private static final long LINGER_SECONDS = 5;

  private enum State { AWAITING_REQUEST, BEGINNING, READING_BODY, ANSWERING, DISCARDING_BODY, CLOSED }

  private final Routes routes;
  private final Authenticator authenticator;
  private final Executor storage;
  private final int idleTimeoutSeconds;
  private final HeadTimeout headTimeout;
  private final InFlightRequests inFlight;
  /** This connection has a request counted in {@link #inFlight}. */
  private boolean counted;

  private State state = State.AWAITING_REQUEST;
  private HttpRequest request;
  private boolean keepAlive;
  private BodyPump body;
  private ScheduledFuture<?> idleTimer;
  /** A response is being written; a client that stops reading it is dropped after the idle timeout. */
  private boolean responseInFlight;
  /** Bytes of an unwanted body still to be read before giving up on it. */
  private long discardBudget;

  RequestDispatcher(Routes routes, Authenticator authenticator, Executor storage, int idleTimeoutSeconds,
      HeadTimeout headTimeout, InFlightRequests inFlight) {
    this.routes = routes;
    this.authenticator = authenticator;
    this.storage = storage;
    this.idleTimeoutSeconds = idleTimeoutSeconds;
    this.headTimeout = headTimeout;
    this.inFlight = inFlight;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    awaitRequest(ctx);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof HttpRequest req) {
        onRequest(ctx, req);
      }
      if (msg instanceof HttpContent content) {
        onContent(ctx, content);
        return; // ownership passed on
      }
    } catch (RuntimeException e) {
      log.error("dispatch failed", e);
      ctx.close();
    }
    ReferenceCountUtil.release(msg);
  }

  private void onRequest(ChannelHandlerContext ctx, HttpRequest req) {
    cancelIdleTimer();
    if (!counted) {
      counted = true;
      inFlight.begin();
    }
    headTimeout.headReceived();
    request = req;
    keepAlive = HttpUtil.isKeepAlive(req);
    DecoderResult result = req.decoderResult();
    if (result.isFailure()) {
      refuseMalformed(ctx, result.cause());
      return;
    }
    String expect = req.headers().get(HttpHeaderNames.EXPECT);
    if (expect != null && !HttpUtil.is100ContinueExpected(req)) {
      answerEarly(ctx, ErrorResponses.of(ErrorCode.UNSUPPORTED, 417, "unsupported Expect: " + Text.abbreviate(expect, 100)));
      return;
    }
    QueryStringDecoder uri = new QueryStringDecoder(req.uri());
    try {
      uri.parameters(); // decoded now, so a malformed escape is the client's 400 and not a handler's failure
    } catch (IllegalArgumentException e) {
      answerEarly(ctx, ErrorResponses.of(ErrorCode.UNSUPPORTED, 400, "malformed query: " + Text.abbreviate(e.getMessage(), 200)));
      return;
    }
    Routes.Match match;
    try {
      match = routes.match(req.method(), uri);
    } catch (RuntimeException e) {
      answerEarly(ctx, ErrorResponses.of(e));
      return;
    }
    Exchange exchange = new Exchange(req, match.pathParams(), uri, Callers.of(ctx, req));
    state = State.BEGINNING;
    storage.execute(() -> {
      BodyHandler handler;
      try {
        exchange.grant(match.open() ? Grant.NONE : authenticator.authenticate(exchange.caller(), match.access()));
        handler = match.endpoint().begin(exchange);
      } catch (Throwable e) {
        onLoop(ctx, () -> answerEarly(ctx, ErrorResponses.of(e)));
        return;
      }
      if (!onLoop(ctx, () -> bodyStarts(ctx, handler))) {
        handler.abort(); // the server is stopping: release what begin took (an upload's lock)
      }
    });
  }

  private void bodyStarts(ChannelHandlerContext ctx, BodyHandler handler) {
    if (state == State.CLOSED) {
      storage.execute(handler::abort);
      return;
    }
    body = new BodyPump(ctx, storage, handler, idleTimeoutSeconds, (response, end) -> bodyDone(ctx, response, end));
    state = State.READING_BODY;
    if (HttpUtil.is100ContinueExpected(request)) {
      ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    }
    body.start();
  }

  private void onContent(ChannelHandlerContext ctx, HttpContent content) {
    switch (state) {
      case READING_BODY -> body.onContent(content);
      case DISCARDING_BODY -> discard(ctx, content);
      default -> content.release(); // a piece of a body already answered
    }
  }

  private void bodyDone(ChannelHandlerContext ctx, Response response, BodyPump.End end) {
    body = null;
    state = State.ANSWERING;
    switch (end) {
      case COMPLETE -> send(ctx, response);
      case UNREAD -> {
        keepAlive = false; // the rest of the body is not worth reading: linger briefly, then close
        discardBudget = LINGER_BYTES;
        send(ctx, response, true);
      }
      case BROKEN -> {
        keepAlive = false;
        send(ctx, response);
      }
    }
  }

  private void discard(ChannelHandlerContext ctx, HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    boolean malformed = content.decoderResult().isFailure();
    discardBudget -= content.content().readableBytes();
    content.release();
    if (last && keepAlive && !malformed) {
      awaitRequest(ctx);
    } else if (last || malformed || discardBudget < 0) {
      ctx.close();
    } else {
      ctx.read();
    }
  }

  /**
   * Answers before the body was read (refused at routing or at begin). A body on its way is not worth reading:
   * the connection ends after it, but only after reading (and dropping) up to {@link #LINGER_BYTES} of it,
   * since closing on unread data resets the connection and the client may never see the answer.
   */
  private void answerEarly(ChannelHandlerContext ctx, Response response) {
    if (state == State.CLOSED) {
      return;
    }
    if (expectsBody(request)) {
      keepAlive = false;
    }
    state = State.ANSWERING;
    discardBudget = LINGER_BYTES;
    send(ctx, response, true);
  }

  private void refuseMalformed(ChannelHandlerContext ctx, Throwable cause) {
    keepAlive = false;
    state = State.ANSWERING;
    Response response;
    if (cause instanceof TooLongHttpLineException) {
      response = ErrorResponses.of(ErrorCode.UNSUPPORTED, 414, "request line too long");
    } else if (cause instanceof TooLongHttpHeaderException) {
      response = ErrorResponses.of(ErrorCode.UNSUPPORTED, 431, "request headers too large");
    } else if (cause instanceof TooLongFrameException) {
      response = ErrorResponses.of(ErrorCode.UNSUPPORTED, 400, "request too large");
    } else {
      response = ErrorResponses.of(ErrorCode.UNSUPPORTED, 400, "malformed request: " + cause.getMessage());
    }
    send(ctx, response);
  }

  private void send(ChannelHandlerContext ctx, Response response) {
    send(ctx, response, false);
  }

  /**
   * Writes the response on the storage executor (opening a blob may block) and then moves to the next request.
   *
   * @param thenDiscardBody the request's body (if any) is still to be read and dropped before the next request
   */
  private void send(ChannelHandlerContext ctx, Response response, boolean thenDiscardBody) {
    boolean head = HttpMethod.HEAD.equals(request.method());
    boolean alive = keepAlive;
    if (alive && HttpVersion.HTTP_1_0.equals(request.protocolVersion())) {
      // An HTTP/1.0 client keeps the connection only when the answer says so; otherwise it waits for the close.
      response.header(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    String requestLine = access.isDebugEnabled() ? request.method() + " " + request.uri() : null;
    responseInFlight = true;
    storage.execute(() -> {
      try {
        ResponseWriter.write(ctx, response, head, alive, storage).addListener(f -> ctx.executor().execute(() -> {
          responseInFlight = false;
          uncount();
          if (state == State.CLOSED) {
            return; // the connection went away meanwhile
          }
          if (requestLine != null) {
            access.debug("{} \"{}\" {} {}{}", ctx.channel().remoteAddress(), requestLine, response.status().code(),
                response.contentLength(), f.isSuccess() ? "" : " (not delivered)");
          }
          if (!f.isSuccess() || (!alive && !thenDiscardBody)) {
            ctx.close();
          } else if (thenDiscardBody) {
            state = State.DISCARDING_BODY;
            if (!alive) {
              ctx.executor().schedule(() -> ctx.close(), LINGER_SECONDS, TimeUnit.SECONDS);
            }
            ctx.read();
          } else {
            awaitRequest(ctx);
          }
        }));
      } catch (Throwable e) {
        log.warn("could not write response", e);
        ctx.executor().execute(() -> {
          if (response.body() instanceof Response.BlobRange) {
            // Headers not sent yet: the blob vanished between stat and open.
            send(ctx, ErrorResponses.of(e), false);
          } else {
            ctx.close();
          }
        });
      }
    });
  }

  private void awaitRequest(ChannelHandlerContext ctx) {
    state = State.AWAITING_REQUEST;
    request = null;
    body = null;
    headTimeout.awaitNextHead();
    idleTimer = ctx.executor().schedule(() -> {
      if (state == State.AWAITING_REQUEST) {
        ctx.close();
      }
    }, idleTimeoutSeconds, TimeUnit.SECONDS);
    ctx.read();
  }

  /** Runs on the connection's event loop; false when that loop is shutting down and took nothing more. */
  private static boolean onLoop(ChannelHandlerContext ctx, Runnable task) {
    try {
      ctx.executor().execute(task);
      return true;
    } catch (java.util.concurrent.RejectedExecutionException stopping) {
      return false;
    }
  }

  private void uncount() {
    if (counted) {
      counted = false;
      inFlight.end();
    }
  }

  private void cancelIdleTimer() {
    if (idleTimer != null) {
      idleTimer.cancel(false);
      idleTimer = null;
    }
  }

  private static boolean expectsBody(HttpRequest req) {
    return HttpUtil.isTransferEncodingChunked(req) || HttpUtil.getContentLength(req, 0L) > 0;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    state = State.CLOSED;
    cancelIdleTimer();
    uncount();
    if (body != null) {
      body.abort(); // a client gone mid-upload: what it sent stays, resumable
      body = null;
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof IdleStateEvent idle && idle.state() == IdleState.WRITER_IDLE && responseInFlight) {
      log.debug("closing {}: the client read nothing of its response for {} s", ctx.channel().remoteAddress(),
          idleTimeoutSeconds);
      ctx.close();
      return;
    }
    ctx.fireUserEventTriggered(event);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("connection error: {}", cause.toString());
    ctx.close();
  }
}
