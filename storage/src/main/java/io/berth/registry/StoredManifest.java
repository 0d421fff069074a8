package io.berth.registry;

import io.berth.oci.Digest;

/** A manifest as stored: the exact bytes pushed, their digest and media type. */
public record StoredManifest(Digest digest, String mediaType, byte[] bytes) {}
