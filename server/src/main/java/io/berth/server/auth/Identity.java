package io.berth.server.auth;

import java.util.Set;

/** Who is asking: a signed-in user and its groups, or {@link #ANONYMOUS}. */
public record Identity(String user, Set<String> groups) {
  public static final Identity ANONYMOUS = new Identity(null, Set.of());

  public Identity {
    groups = Set.copyOf(groups);
  }

  public boolean anonymous() {
    return user == null;
  }
}
