package io.berth.server.http;

import io.berth.oci.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves one request body from the socket to its {@link BodyHandler}. While storage writes one batch of chunks,
 * the next is read from the socket, up to {@link #READ_AHEAD} bytes: network and disk work overlap, each storage
 * task takes many chunks at once, and memory per request stays bounded. Past the limit nothing more is read, so
 * TCP slows the client down. Confined to the event loop, except the storage tasks it submits.
 */
final class BodyPump {
  private static final Logger log = LoggerFactory.getLogger(BodyPump.class);
  static final long READ_AHEAD = 1 << 20;
  /** Also a bound on pieces, for bodies of tiny chunks: each piece costs an object whatever its size. */
  static final int MAX_PIECES = 256;

  /** How a body ended, for what to do with the connection after the answer. */
  enum End {
    /** All of it was taken: the connection can serve the next request. */
    COMPLETE,
    /** It was refused part way: the rest is unread. */
    UNREAD,
    /** Its framing was malformed: nothing more on this connection can be trusted. */
    BROKEN
  }

  interface Done {
    void answer(Response response, End end);
  }

  private final ChannelHandlerContext ctx;
  private final Executor storage;
  private final BodyHandler handler;
  private final int idleTimeoutSeconds;
  private final Done done;

  private List<HttpContent> pending = new ArrayList<>();
  private long pendingBytes;
  private boolean writing;
  private boolean readOutstanding;
  private boolean lastReceived;
  private boolean finished;
  private ScheduledFuture<?> stallCheck;
  /** When the body last moved: a read answered. */
  private long lastProgressNanos;

  BodyPump(ChannelHandlerContext ctx, Executor storage, BodyHandler handler, int idleTimeoutSeconds, Done done) {
    this.ctx = ctx;
    this.storage = storage;
    this.handler = handler;
    this.idleTimeoutSeconds = idleTimeoutSeconds;
    this.done = done;
  }

  void start() {
    lastProgressNanos = System.nanoTime();
    // One periodic check per body, rather than a timer set and cancelled for every piece.
    stallCheck = ctx.executor().scheduleWithFixedDelay(this::checkStalled, idleTimeoutSeconds, idleTimeoutSeconds,
        TimeUnit.SECONDS);
    readMore();
  }

  private void checkStalled() {
    if (readOutstanding && !finished
        && System.nanoTime() - lastProgressNanos > TimeUnit.SECONDS.toNanos(idleTimeoutSeconds)) {
      log.debug("closing {}: no request body for {} s", ctx.channel().remoteAddress(), idleTimeoutSeconds);
      ctx.close();
    }
  }

  /** A piece of the body arrived (the pump owns it now). */
  void onContent(HttpContent content) {
    readOutstanding = false;
    lastProgressNanos = System.nanoTime();
    if (finished) {
      content.release();
      return;
    }
    if (content.decoderResult().isFailure()) {
      content.release();
      finish();
      done.answer(ErrorResponses.of(ErrorCode.BLOB_UPLOAD_INVALID, 400, "malformed request body"), End.BROKEN);
      return;
    }
    pending.add(content);
    pendingBytes += content.content().readableBytes();
    lastReceived = content instanceof LastHttpContent;
    if (!writing) {
      submitBatch();
    }
    readMore();
  }

  /** The connection is gone: what was received still goes to storage (an upload keeps it), then the handler ends. */
  void abort() {
    if (!finished) {
      finish();
    }
  }

  /** Ends the body early: the good pieces already received are still handed over, then the handler is aborted. */
  private void finish() {
    finished = true;
    cancelStallCheck();
    List<HttpContent> received = pending;
    pending = new ArrayList<>();
    pendingBytes = 0;
    storage.execute(() -> {
      try {
        for (HttpContent c : received) {
          if (c.content().isReadable() && !(c instanceof LastHttpContent)) {
            handler.onContent(c.content());
          }
        }
      } catch (Throwable e) {
        log.debug("could not keep the rest of an interrupted body: {}", e.toString());
      } finally {
        received.forEach(ReferenceCountUtil::release);
        handler.abort();
      }
    });
  }

  private void readMore() {
    if (finished || lastReceived || readOutstanding || pendingBytes >= READ_AHEAD || pending.size() >= MAX_PIECES) {
      return;
    }
    if (!writing) {
      lastProgressNanos = System.nanoTime(); // waiting on the client from now, not on storage
    }
    readOutstanding = true;
    ctx.read();
  }

  private void submitBatch() {
    List<HttpContent> batch = pending;
    pending = new ArrayList<>();
    pendingBytes = 0;
    boolean last = batch.get(batch.size() - 1) instanceof LastHttpContent;
    writing = true;
    storage.execute(() -> {
      Response response = null;
      Throwable failure = null;
      try {
        List<ByteBuf> readable = new ArrayList<>(batch.size());
        for (HttpContent c : batch) {
          if (c.content().isReadable()) {
            readable.add(c.content());
          }
        }
        if (!readable.isEmpty()) {
          handler.onContent(readable);
        }
        if (last) {
          response = handler.end();
        }
      } catch (Throwable e) {
        failure = e;
        handler.abort();
      } finally {
        batch.forEach(ReferenceCountUtil::release);
      }
      Response answer = failure != null ? ErrorResponses.of(failure) : response;
      ctx.executor().execute(() -> batchDone(answer));
    });
  }

  private void batchDone(Response answer) {
    writing = false;
    if (finished) {
      return;
    }
    if (answer != null) {
      finished = true;
      cancelStallCheck();
      End end = lastReceived ? End.COMPLETE : End.UNREAD;
      releasePending();
      done.answer(answer, end);
      return;
    }
    if (!pending.isEmpty()) {
      submitBatch();
    }
    readMore();
  }

  private void releasePending() {
    pending.forEach(ReferenceCountUtil::release);
    pending.clear();
    pendingBytes = 0;
  }

  private void cancelStallCheck() {
    if (stallCheck != null) {
      stallCheck.cancel(false);
      stallCheck = null;
    }
  }
}
