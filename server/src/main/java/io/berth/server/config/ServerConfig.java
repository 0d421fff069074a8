package io.berth.server.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Berth's configuration, as read from YAML (keys are lower-case, with no separators, like distribution's)
 * and from {@code BERTH_*} environment variables. The defaults are the embedded default: filesystem storage
 * in {@code ./data}, port 5000, no auth.
 */
public record ServerConfig(Http http, Storage storage, Auth auth, Log log) {

  public static final ServerConfig DEFAULTS = new ServerConfig(
      new Http(":5000", 60, 30, 16384, 4096, 10, "", new Tls("", "", "tls1.2")),
      new Storage("filesystem", new Filesystem("./data"),
          new S3("", "", "us-east-1", "", false, "", "", 16, 4, 0),
          new Delete(false), new Maintenance(new UploadPurging(true, 168, 24))),
      new Auth("none", "berth", new HtpasswdFile("./htpasswd"),
          new Token("", "berth", "berth", "./token-key.json", 300, 720, "", ""), Map.of(), List.of()),
      new Log("info"));

  /**
   * @param addr where to listen: {@code host:port}, {@code :port} for all addresses, {@code [::1]:port}
   * @param idletimeout seconds a connection may wait for its next request, or for more of a request body or for
   *     its client to read more of a response, before it is closed
   * @param headertimeout seconds a client has to send a request's headers once it has started them
   * @param maxheadersize the largest request header block in bytes; larger gets 431
   * @param maxinitiallinelength the longest request line in bytes; longer gets 414
   * @param draintimeout seconds a stopping server waits for requests in progress to finish (distribution's
   *     {@code http.draintimeout})
   * @param plainaddr a second listener that never uses TLS, meant for tools on this machine
   *     ({@code 127.0.0.1:5001}); empty for none
   * @param tls the certificate {@code addr} serves HTTPS with; none configured means plain HTTP there too
   */
  public record Http(String addr, int idletimeout, int headertimeout, int maxheadersize, int maxinitiallinelength,
      int draintimeout, String plainaddr, Tls tls) {
    public Http withTls(Tls tls) {
      return new Http(addr, idletimeout, headertimeout, maxheadersize, maxinitiallinelength, draintimeout, plainaddr,
          tls);
    }

    public Http withPlainaddr(String plainaddr) {
      return new Http(addr, idletimeout, headertimeout, maxheadersize, maxinitiallinelength, draintimeout, plainaddr,
          tls);
    }
  }

  /**
   * HTTPS on {@code http.addr} (distribution's {@code http.tls}). Both files empty: no TLS.
   *
   * @param certificate PEM file: the server's certificate, then any intermediate certificates
   * @param key PEM file: the certificate's private key, unencrypted
   * @param minimumversion the oldest protocol accepted: {@code tls1.2} or {@code tls1.3}
   */
  public record Tls(String certificate, String key, String minimumversion) {
    /** Asked for at all: either file named (naming only one of them is an error, reported at start). */
    public boolean configured() {
      return !certificate.isBlank() || !key.isBlank();
    }
  }

  /** @param backend where the registry keeps its data: {@code filesystem} or {@code s3} */
  public record Storage(String backend, Filesystem filesystem, S3 s3, Delete delete, Maintenance maintenance) {
    public Storage withBackend(String backend) {
      return new Storage(backend, filesystem, s3, delete, maintenance);
    }
  }

  /** @param root the directory that holds all registry data */
  public record Filesystem(String root) {
    public Path rootPath() {
      return Path.of(root);
    }
  }

  /**
   * The S3 backend (AWS, or an S3-compatible store such as MinIO or Ceph).
   *
   * @param bucket an existing bucket
   * @param prefix a key prefix for everything Berth stores (empty: the bucket's root)
   * @param region the bucket's region
   * @param endpoint the store's URL for S3-compatible stores; empty for AWS
   * @param pathstyle address buckets as {@code endpoint/bucket} (MinIO, Ceph and most others want it)
   * @param accesskey credentials; empty: the environment ({@code AWS_ACCESS_KEY_ID}...) or the SDK's default chain
   * @param secretkey the secret of the access key
   * @param partsize MiB per part of a multipart upload (at least 5)
   * @param concurrency parts of one upload sent at once
   * @param redirectminutes above 0: blob downloads are redirected to presigned S3 URLs valid this many minutes
   */
  public record S3(String bucket, String prefix, String region, String endpoint, boolean pathstyle, String accesskey,
      String secretkey, int partsize, int concurrency, int redirectminutes) {
    public io.berth.storage.s3.S3Settings settings() {
      return new io.berth.storage.s3.S3Settings(bucket, prefix, region, endpoint, pathstyle, accesskey, secretkey,
          partsize, concurrency, redirectminutes);
    }

    @Override
    public String toString() { // never the secret
      return settings().toString();
    }
  }

  /** @param enabled whether DELETE of manifests, tags and blobs is allowed (distribution's storage.delete) */
  public record Delete(boolean enabled) {}

  public record Maintenance(UploadPurging uploadpurging) {}

  /**
   * Deleting upload sessions that clients abandoned (distribution's {@code maintenance.uploadpurging}).
   *
   * @param agehours sessions started longer ago than this are deleted
   * @param intervalhours how often to look
   */
  public record UploadPurging(boolean enabled, int agehours, int intervalhours) {}

  /**
   * Who may do what.
   *
   * @param mode {@code none} (anyone may do anything), {@code htpasswd} (HTTP basic, users from a file) or
   *     {@code token} (bearer tokens from our own token endpoint, or from an external issuer)
   * @param realm the realm named in {@code Basic} challenges
   * @param groups group name to its users
   * @param access the rules; a request is allowed what any rule that matches it grants
   */
  public record Auth(String mode, String realm, HtpasswdFile htpasswd, Token token,
      Map<String, List<String>> groups, List<AccessRule> access) {
    public Auth {
      groups = groups == null ? Map.of() : Map.copyOf(groups);
      access = access == null ? List.of() : List.copyOf(access);
    }
  }

  /**
   * The {@code token} mode (the Docker registry token protocol).
   *
   * @param realm the token endpoint's URL sent in challenges; empty: our own {@code /auth/token} at the address
   *     the client used
   * @param service the service name: tokens' audience
   * @param issuer tokens' issuer ({@code iss})
   * @param key the JWK file holding our signing key, made on first start when absent
   * @param expiration seconds an access token lasts (at least 60)
   * @param refreshexpiration hours a refresh token ({@code docker login}'s saved credential) lasts
   * @param jwks an external issuer's public keys (a JWKS file): we then only verify tokens, and issue none
   * @param rootcertbundle or an external issuer's certificates (PEM), as distribution's
   *     {@code auth.token.rootcertbundle}
   */
  public record Token(String realm, String service, String issuer, String key, int expiration,
      int refreshexpiration, String jwks, String rootcertbundle) {
    /** Whether tokens come from another token service, which we only trust. */
    public boolean external() {
      return !jwks.isEmpty() || !rootcertbundle.isEmpty();
    }
  }

  /** @param path an htpasswd file with bcrypt hashes, as {@code htpasswd -B} or {@code berth htpasswd} write */
  public record HtpasswdFile(String path) {}

  /**
   * One rule: on the repositories matching {@code repositories} (a pattern where {@code *} stands for any run of
   * characters, '/' included), or on the catalog when {@code catalog} is true, these users, members of these
   * groups ({@code *}: any signed-in user), or anyone at all when {@code anonymous}, may do {@code actions}
   * ({@code pull}, {@code push}, {@code delete}).
   */
  public record AccessRule(String repositories, Boolean catalog, List<String> users, List<String> groups,
      Boolean anonymous, List<String> actions) {
    public AccessRule {
      catalog = catalog != null && catalog; // absent from a rule means false
      anonymous = anonymous != null && anonymous;
      users = users == null ? List.of() : List.copyOf(users);
      groups = groups == null ? List.of() : List.copyOf(groups);
      actions = actions == null ? List.of() : List.copyOf(actions);
    }
  }

  /** @param level trace, debug, info, warn or error */
  public record Log(String level) {}

  public ServerConfig withAddr(String addr) {
    return withHttp(new Http(addr, http.idletimeout, http.headertimeout, http.maxheadersize,
        http.maxinitiallinelength, http.draintimeout, http.plainaddr, http.tls));
  }

  public ServerConfig withFilesystemRoot(Path root) {
    return withStorage(new Storage(storage.backend, new Filesystem(root.toString()), storage.s3, storage.delete,
        storage.maintenance));
  }

  /** The S3 backend with these settings. */
  public ServerConfig withS3(S3 s3) {
    return withStorage(new Storage("s3", storage.filesystem, s3, storage.delete, storage.maintenance));
  }

  public ServerConfig withDeleteEnabled(boolean enabled) {
    return withStorage(new Storage(storage.backend, storage.filesystem, storage.s3, new Delete(enabled),
        storage.maintenance));
  }

  public ServerConfig withStorage(Storage storage) {
    return new ServerConfig(http, storage, auth, log);
  }

  public ServerConfig withHttp(Http http) {
    return new ServerConfig(http, storage, auth, log);
  }

  public ServerConfig withAuth(Auth auth) {
    return new ServerConfig(http, storage, auth, log);
  }
}
