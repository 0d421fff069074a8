package io.berth.server.auth;

/** What the request's identity may do, asked for resource by resource (a mount asks about its source). */
public interface Grant {
  /** Everything: the {@code none} mode. */
  Grant ALL = access -> true;

  boolean allows(Access access);
}
