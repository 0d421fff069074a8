package io.berth.oci;

import java.util.Map;

/**
 * A content descriptor (OCI image-spec): what a manifest says about content it points to. Only the fields the
 * registry acts on are kept; {@code artifactType} and {@code annotations} may be null.
 */
public record Descriptor(
    String mediaType, Digest digest, long size, String artifactType, Map<String, String> annotations) {}
