package io.berth.conformance;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/** Content to upload, with its sha256 digest. Random content keeps tests independent of one another. */
record Blob(byte[] bytes, String digest) {

  static Blob of(byte[] bytes) {
    return new Blob(bytes, Digests.sha256(bytes));
  }

  static Blob of(String text) {
    return of(text.getBytes(StandardCharsets.UTF_8));
  }

  static Blob random(int size) {
    byte[] bytes = new byte[size];
    ThreadLocalRandom.current().nextBytes(bytes);
    return of(bytes);
  }

  int size() {
    return bytes.length;
  }
}
