package io.berth.server.auth;

/** What the request's identity may do, asked for resource by resource (a mount asks about its source). */
public interface Grant {
  /** Everything: the {@code none} mode. */
  Grant ALL = access -> true;
  /** Nothing: a public endpoint such as the token endpoint, which checks credentials itself. */
  Grant NONE = access -> false;

  boolean allows(Access access);
}
