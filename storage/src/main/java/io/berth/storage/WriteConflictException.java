package io.berth.storage;

import java.io.IOException;

/**
 * A write refused because another writer, maybe in another process over the same storage, wrote there first: the
 * caller's request lost a race, storage did not fail. Thrown by backends that can tell (S3, whose appended-file
 * segments are written once).
 */
public class WriteConflictException extends IOException {
  public WriteConflictException(String message) {
    super(message);
  }
}
