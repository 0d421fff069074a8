package io.berth.storage;

import java.io.IOException;

/** The path asked for does not exist. */
public class PathNotFoundException extends IOException {
  public PathNotFoundException(String path) {
    super("path not found: " + path, null);
  }
}
