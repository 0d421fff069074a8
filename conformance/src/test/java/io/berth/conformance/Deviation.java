package io.berth.conformance;

/**
 * Known ways a target registry departs from the distribution-spec. A test that checks one of these behaviours
 * skips that check (and only that check) for a target that lists the deviation. Every constant is described in
 * {@code conformance/DEVIATIONS.md}, with what the registry does instead.
 */
enum Deviation {
  /** No {@code GET /v2/<name>/referrers/<digest>} endpoint. */
  NO_REFERRERS_API,
  /** A manifest push with a {@code subject} is stored but answered without an {@code OCI-Subject} header. */
  NO_OCI_SUBJECT_HEADER,
  /** {@code ?tag=} on a manifest push by digest is ignored: no tags are created and no {@code OCI-Tag} header sent. */
  NO_TAG_QUERY_ON_PUSH,
  /** {@code POST .../blobs/uploads/?digest-algorithm=sha512} and sha512 digests are not supported. */
  NO_SHA512_UPLOADS,
  /** The tags list ignores {@code n} and {@code last}: no pagination, no {@code Link} header, {@code n=0} lists all. */
  NO_TAG_PAGINATION,
  /** The tags list comes back in storage order, not sorted lexically. */
  TAGS_NOT_SORTED,
  /** {@code DELETE /v2/<name>/manifests/<tag>} is refused (400 DIGEST_INVALID); only digests can be deleted. */
  NO_TAG_DELETE,
  /** A PATCH whose {@code Content-Range} does not start where the upload ends is appended anyway, not refused (416). */
  CHUNK_ORDER_NOT_CHECKED,
  /** An upload session id the registry never issued gets BLOB_UPLOAD_INVALID rather than BLOB_UPLOAD_UNKNOWN. */
  UNKNOWN_UPLOAD_IS_UPLOAD_INVALID,
  /** A 416 for an unsatisfiable range declares the blob's length in {@code Content-Length} but sends no body. */
  BROKEN_416_RESPONSE,
  /** Names outside the grammar do not match a route: 404 {@code text/plain} "page not found", not 400 NAME_INVALID. */
  INVALID_NAME_IS_PAGE_NOT_FOUND,
}
