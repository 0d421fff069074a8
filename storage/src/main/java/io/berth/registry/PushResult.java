package io.berth.registry;

import io.berth.oci.Digest;
import io.berth.oci.Tag;
import java.util.List;
import java.util.Optional;

/** What a manifest push stored: its digest, the tags that now point at it, and its subject if it has one. */
public record PushResult(Digest digest, List<Tag> tags, Optional<Digest> subject) {}
