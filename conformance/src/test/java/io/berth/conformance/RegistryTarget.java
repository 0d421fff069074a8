package io.berth.conformance;

import java.net.URI;
import java.util.Set;

/**
 * A registry under test: where it listens, whether it was started with deletes enabled, and the places where it is
 * known to deviate from the distribution-spec. Closing it stops the registry if the suite started it.
 *
 * @param name a short label for messages, such as "berth" or "distribution 2.8.2"
 * @param baseUrl the registry root, such as {@code http://127.0.0.1:5000}; requests go to {@code baseUrl + /v2/...}
 * @param deletesEnabled whether DELETE of manifests, tags and blobs is allowed, so the content management workflow runs
 * @param deviations the checks this registry is known to fail; each one is skipped for this registry only
 */
record RegistryTarget(String name, URI baseUrl, boolean deletesEnabled, Set<Deviation> deviations, AutoCloseable stop)
    implements AutoCloseable {

  /** Whether this registry behaves as the spec says for the behaviour the deviation names. */
  boolean followsSpec(Deviation deviation) {
    return !deviations.contains(deviation);
  }

  @Override
  public void close() throws Exception {
    stop.close();
  }

  @Override
  public String toString() {
    return name + " at " + baseUrl;
  }
}
