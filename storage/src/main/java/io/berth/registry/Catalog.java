package io.berth.registry;

import io.berth.storage.StorageDriver;
import io.berth.storage.StoragePaths;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The names of all repositories, found by walking storage. */
public final class Catalog {
  private final StorageDriver driver;

  public Catalog(StorageDriver driver) {
    this.driver = driver;
  }

  /** Every repository that holds a blob or a manifest, sorted. */
  public List<String> repositories() throws IOException {
    List<String> out = new ArrayList<>();
    walk("", out);
    out.sort(null);
    return out;
  }

  /** Whether a directory with these children is a repository: it holds a blob or a manifest. */
  static boolean isRepository(List<String> children) {
    return children.contains(StoragePaths.MANIFESTS) || children.contains(StoragePaths.LAYERS);
  }

  private void walk(String prefix, List<String> out) throws IOException {
    String dir = prefix.isEmpty() ? StoragePaths.REPOSITORIES : StoragePaths.REPOSITORIES + "/" + prefix;
    List<String> children = driver.list(dir);
    if (!prefix.isEmpty() && isRepository(children)) {
      out.add(prefix);
    }
    for (String child : children) {
      if (!child.startsWith("_")) {
        walk(prefix.isEmpty() ? child : prefix + "/" + child, out);
      }
    }
  }
}
