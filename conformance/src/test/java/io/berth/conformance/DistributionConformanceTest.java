package io.berth.conformance;

import java.nio.file.Path;
import java.util.EnumSet;

/**
 * The suite against the reference registry, CNCF distribution 2.8.2 (Debian's {@code docker-registry}). It shows
 * that the tests encode the protocol as real registries speak it, not just Berth's reading of it. Where
 * distribution departs from the spec, the {@link Deviation}s listed here skip those checks for it alone
 * (see {@code conformance/DEVIATIONS.md}); {@code -Dberth.conformance.checkDeviations=true} runs them anyway.
 *
 * <p>Skipped when the binary is missing, unless {@code BERTH_REQUIRE_REFERENCE=1} (set in CI), which makes that a
 * failure. {@code -Dberth.reference.binary=/path/to/registry} picks another binary.
 */
class DistributionConformanceTest extends ConformanceSuite {
  private static final EnumSet<Deviation> DISTRIBUTION_2_8_DEVIATIONS = EnumSet.of(
      Deviation.NO_REFERRERS_API,
      Deviation.NO_OCI_SUBJECT_HEADER,
      Deviation.NO_TAG_QUERY_ON_PUSH,
      Deviation.NO_SHA512_UPLOADS,
      Deviation.NO_TAG_PAGINATION,
      Deviation.TAGS_NOT_SORTED,
      Deviation.NO_TAG_DELETE,
      Deviation.CHUNK_ORDER_NOT_CHECKED,
      Deviation.UNKNOWN_UPLOAD_IS_UPLOAD_INVALID,
      Deviation.BROKEN_416_RESPONSE,
      Deviation.INVALID_NAME_IS_PAGE_NOT_FOUND);

  @Override
  RegistryTarget startTarget(Path workDir) throws Exception {
    DistributionRegistry registry = DistributionRegistry.start(DistributionRegistry.binaryOrSkip(), workDir, true);
    // -Dberth.conformance.checkDeviations=true runs every check, so each listed deviation shows up as a failure:
    // the way to confirm the list is still true after upgrading the reference registry.
    EnumSet<Deviation> deviations = Boolean.getBoolean("berth.conformance.checkDeviations")
        ? EnumSet.noneOf(Deviation.class) : DISTRIBUTION_2_8_DEVIATIONS;
    return new RegistryTarget("distribution 2.8.2", registry.baseUrl(), true, deviations, registry);
  }
}
