package io.berth.server.auth;

import java.util.List;

/** Decides, before a request is handled, whether it may go on, and what its identity may do. */
public interface Authenticator {
  /** The {@code none} mode: no sign-in, everything allowed. */
  Authenticator OPEN = (caller, required) -> Grant.ALL;

  /**
   * Checks a request. May block (a password hash is slow): called off the event loop.
   *
   * @param required what the route needs (see {@code Routes}); empty for {@code /v2/}, which needs only a sign-in
   * @throws Denial when the request may not go on
   */
  Grant authenticate(Caller caller, List<Access> required);
}
