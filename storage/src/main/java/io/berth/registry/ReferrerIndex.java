package io.berth.registry;

import io.berth.oci.Descriptor;
import io.berth.oci.DescriptorJson;
import io.berth.oci.Digest;
import io.berth.oci.RepositoryName;
import io.berth.storage.PathNotFoundException;
import io.berth.storage.StorageDriver;
import io.berth.storage.StoragePaths;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which manifests name a subject, kept as one small entry per referrer written when the referrer is pushed,
 * so answering the referrers API never reads or parses the manifests themselves.
 */
final class ReferrerIndex {
  private final StorageDriver driver;

  ReferrerIndex(StorageDriver driver) {
    this.driver = driver;
  }

  void add(RepositoryName repository, Digest subject, Descriptor referrer) throws IOException {
    driver.putContent(StoragePaths.referrer(repository, subject, referrer.digest()), DescriptorJson.toBytes(referrer));
  }

  void remove(RepositoryName repository, Digest subject, Digest referrer) throws IOException {
    driver.delete(StoragePaths.referrer(repository, subject, referrer));
  }

  List<Descriptor> list(RepositoryName repository, Digest subject) throws IOException {
    String dir = StoragePaths.referrers(repository, subject);
    List<Descriptor> out = new ArrayList<>();
    for (String entry : driver.list(dir)) {
      try {
        out.add(DescriptorJson.fromBytes(driver.getContent(dir + "/" + entry)));
      } catch (PathNotFoundException deletedMeanwhile) {
        // removed while we listed
      }
    }
    return out;
  }
}
