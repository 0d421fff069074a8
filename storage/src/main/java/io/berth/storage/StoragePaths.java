package io.berth.storage;

import io.berth.oci.Digest;
import io.berth.oci.RepositoryName;
import io.berth.oci.Tag;

/**
 * The whole storage layout, in one place.
 *
 * <pre>
 * blobs/&lt;alg&gt;/&lt;hex[0:2]&gt;/&lt;hex&gt;/data                      content, stored once for all repositories
 * repositories/&lt;name&gt;/                                     name may have several components (team/app)
 *   _layers/&lt;alg&gt;/&lt;hex&gt;/link                              blob is in this repository (content: digest)
 *   _manifests/revisions/&lt;alg&gt;/&lt;hex&gt;/link                 manifest is in this repository
 *   _manifests/tags/&lt;tag&gt;                                  tag points at this digest (content: digest)
 *   _referrers/&lt;alg&gt;/&lt;hex&gt;/&lt;alg&gt;.&lt;hex&gt;                 a referrer of a subject (content: its descriptor)
 *   _uploads/&lt;uuid&gt;                                       bytes of an upload in progress (a version-7 UUID: it
 *                                                          tells when the upload began)
 * repositories/_catalogstamp                               changed whenever a process adds a repository new to it
 * </pre>
 *
 * Repository name components never start with '_' (see {@link RepositoryName}), so the '_' directories can't
 * collide with a nested repository.
 */
public final class StoragePaths {
  public static final String REPOSITORIES = "repositories";
  public static final String LAYERS = "_layers";
  public static final String MANIFESTS = "_manifests";
  public static final String UPLOADS = "_uploads";
  public static final String REFERRERS = "_referrers";

  private StoragePaths() {}

  /**
   * Refuses a path a backend must never be given: empty, absolute, or with empty, '.' or '..' parts, so no path
   * can leave the backend's root or prefix.
   *
   * @return the path
   */
  public static String requireValid(String path) {
    if (path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.contains("\0")) {
      throw new IllegalArgumentException("invalid storage path: " + path);
    }
    for (String part : path.split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        throw new IllegalArgumentException("invalid storage path: " + path);
      }
    }
    return path;
  }

  /** A random value rewritten whenever a process adds a repository, so other processes know to list again. */
  public static String catalogStamp() {
    return REPOSITORIES + "/_catalogstamp";
  }

  public static String blobData(Digest d) {
    return "blobs/" + d.algorithm().id() + "/" + d.hex().substring(0, 2) + "/" + d.hex() + "/data";
  }

  public static String repository(RepositoryName name) {
    return REPOSITORIES + "/" + name.value();
  }

  public static String layerDirectory(RepositoryName name, Digest d) {
    return repository(name) + "/" + LAYERS + "/" + d.algorithm().id() + "/" + d.hex();
  }

  public static String layerLink(RepositoryName name, Digest d) {
    return layerDirectory(name, d) + "/link";
  }

  public static String manifestRevision(RepositoryName name, Digest d) {
    return repository(name) + "/" + MANIFESTS + "/revisions/" + d.algorithm().id() + "/" + d.hex();
  }

  public static String manifestRevisionLink(RepositoryName name, Digest d) {
    return manifestRevision(name, d) + "/link";
  }

  public static String tags(RepositoryName name) {
    return repository(name) + "/" + MANIFESTS + "/tags";
  }

  /** One file per tag, so listing tags is listing one directory, and a tag appears whole or not at all. */
  public static String tagLink(RepositoryName name, Tag tag) {
    return tags(name) + "/" + tag.name();
  }

  public static String referrers(RepositoryName name, Digest subject) {
    return repository(name) + "/" + REFERRERS + "/" + subject.algorithm().id() + "/" + subject.hex();
  }

  public static String referrer(RepositoryName name, Digest subject, Digest referrer) {
    return referrers(name, subject) + "/" + referrer.algorithm().id() + "." + referrer.hex();
  }

  public static String upload(RepositoryName name, String uuid) {
    return repository(name) + "/" + UPLOADS + "/" + uuid;
  }
}
