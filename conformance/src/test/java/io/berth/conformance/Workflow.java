package io.berth.conformance;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What every workflow test class has: the target registry, a client for it, and fresh repository names. Each test
 * works in repositories of its own, so tests neither depend on nor disturb one another, even on a shared registry.
 */
abstract class Workflow {
  private RegistryClient client;

  abstract RegistryTarget target();

  RegistryClient client() {
    if (client == null) {
      client = new RegistryClient(target().baseUrl());
    }
    return client;
  }

  Pusher push() {
    return new Pusher(client());
  }

  /** A repository name no other test uses, such as {@code conformance/pull-3f9a1c2b}. */
  static String newRepo(String area) {
    byte[] nonce = new byte[4];
    ThreadLocalRandom.current().nextBytes(nonce);
    return namespace() + "/" + area + "-" + HexFormat.of().formatHex(nonce);
  }

  /** The first component(s) of every repository name; {@code -Dberth.conformance.namespace} for shared registries. */
  static String namespace() {
    return System.getProperty("berth.conformance.namespace", "conformance");
  }
}
