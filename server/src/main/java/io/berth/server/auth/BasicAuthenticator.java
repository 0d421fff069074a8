package io.berth.server.auth;

import java.util.List;
import java.util.Set;

/**
 * The {@code htpasswd} mode: HTTP basic sign-in on every request, then the access rules.
 *
 * <ul>
 *   <li>A request without credentials is anonymous: it gets what the rules give anyone, and a 401 challenge for
 *       the rest. {@code /v2/} always asks for a sign-in, which is how {@code docker login} checks a password.
 *   <li>Wrong credentials are a 401, never a fall-back to anonymous; too many from one client are a 429.
 *   <li>A signed-in user asking for more than it may do gets 403 DENIED.
 * </ul>
 */
public final class BasicAuthenticator implements Authenticator {
  private final SignIn signIn;
  private final AccessRules rules;
  private final String challenge;

  public BasicAuthenticator(SignIn signIn, String realm) {
    this.signIn = signIn;
    this.rules = signIn.rules();
    this.challenge = SignIn.basicChallenge(realm);
  }

  @Override
  public Grant authenticate(Caller caller, List<Access> required) {
    Identity who = caller.authorization() == null
        ? Identity.ANONYMOUS
        : signIn.basic(caller.authorization(), caller.address());
    if (required.isEmpty() && who.anonymous()) {
      throw Denial.unauthorized("sign in to use this registry", challenge);
    }
    for (Access access : required) {
      Set<String> granted = rules.granted(access, who);
      if (!granted.containsAll(access.actions())) {
        if (who.anonymous()) {
          throw Denial.unauthorized("sign in for " + access.scope(), challenge);
        }
        throw Denial.denied(who.user() + " may not " + access.scope());
      }
    }
    return access -> rules.granted(access, who).containsAll(access.actions());
  }
}
