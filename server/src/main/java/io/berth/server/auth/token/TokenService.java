package io.berth.server.auth.token;

import io.berth.server.auth.Access;
import io.berth.server.auth.AccessRules;
import io.berth.server.auth.Denial;
import io.berth.server.auth.Htpasswd;
import io.berth.server.auth.Identity;
import io.berth.server.auth.SignIn;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The built-in token service behind the token endpoint: it signs in users (or not: anonymous), and issues access
 * tokens granting the intersection of what was asked and what the access rules allow (possibly nothing, never an
 * error for partial access), plus long-lived refresh tokens when a client asks for one ({@code docker login}
 * keeps it instead of the password).
 */
public final class TokenService {
  /** What the endpoint answers. {@code refreshToken} is null unless asked for and signed in. */
  public record Issued(String token, Duration expiresIn, Instant issuedAt, String refreshToken) {}

  private final SignIn signIn;
  private final Htpasswd htpasswd;
  private final AccessRules rules;
  private final TokenIssuer issuer;
  private final TokenVerifier verifier;
  private final String service;
  private final Duration lifetime;
  private final Duration refreshLifetime;
  private final Clock clock;

  public TokenService(SignIn signIn, Htpasswd htpasswd, TokenIssuer issuer, TokenVerifier verifier, String service,
      Duration lifetime, Duration refreshLifetime, Clock clock) {
    this.signIn = signIn;
    this.htpasswd = htpasswd;
    this.rules = signIn.rules();
    this.issuer = issuer;
    this.verifier = verifier;
    this.service = service;
    this.lifetime = lifetime.compareTo(TokenIssuer.MIN_LIFETIME) < 0 ? TokenIssuer.MIN_LIFETIME : lifetime;
    this.refreshLifetime = refreshLifetime;
    this.clock = clock;
  }

  public SignIn signIn() {
    return signIn;
  }

  /** Tokens for a signed-in user or for {@link Identity#ANONYMOUS}; a refresh token too when {@code offline}. */
  public Issued issue(Identity who, String requestedService, List<String> scopes, boolean offline) {
    checkService(requestedService);
    List<Access> asked = Scopes.parse(scopes);
    String refresh = null;
    if (offline && !who.anonymous()) {
      String credential = htpasswd.credentialVersion(who.user())
          .orElseThrow(() -> Denial.unauthorized("unknown user", signIn.challenge()));
      refresh = issuer.issueRefresh(who.user(), service, credential, refreshLifetime);
    }
    return new Issued(issuer.issue(who.user(), service, granted(asked, who), lifetime), lifetime, clock.instant(),
        refresh);
  }

  /** New access tokens for the holder of a refresh token, as long as its user and password are unchanged. */
  public Issued refresh(String refreshToken, String requestedService, List<String> scopes) {
    checkService(requestedService);
    List<Access> asked = Scopes.parse(scopes);
    TokenVerifier.Refresh claims;
    try {
      claims = verifier.verifyRefresh(refreshToken);
    } catch (TokenVerifier.InvalidToken e) {
      throw Denial.unauthorized("invalid refresh token: " + e.getMessage(), signIn.challenge());
    }
    if (!htpasswd.credentialVersion(claims.subject()).map(claims.credential()::equals).orElse(false)) {
      throw Denial.unauthorized("the refresh token's user or password has changed; sign in again",
          signIn.challenge());
    }
    Identity who = rules.identify(claims.subject());
    return new Issued(issuer.issue(who.user(), service, granted(asked, who), lifetime), lifetime, clock.instant(),
        null);
  }

  private void checkService(String requested) {
    if (requested != null && !requested.isEmpty() && !requested.equals(service)) {
      throw Denial.badRequest("this token service issues tokens for service \"" + service + "\", not \""
          + io.berth.oci.Text.abbreviate(requested, 100) + "\"");
    }
  }

  private List<Access> granted(List<Access> asked, Identity who) {
    List<Access> granted = new ArrayList<>();
    for (Access access : asked) {
      Set<String> actions = rules.granted(access, who);
      if (!actions.isEmpty()) {
        granted.add(new Access(access.type(), access.name(), actions));
      }
    }
    return granted;
  }
}
