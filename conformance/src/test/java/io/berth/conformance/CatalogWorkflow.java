package io.berth.conformance;

import static io.berth.conformance.Responses.assertStatus;
import static io.berth.conformance.Responses.describe;
import static io.berth.conformance.Responses.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Content discovery, catalog: not in the OCI spec, but every registry ships it and tools depend on it. Other tests'
 * repositories share the registry, so these check the three repositories each test makes and the order around them.
 */
abstract class CatalogWorkflow extends Workflow {

  /**
   * Three repositories that sort next to each other: {@code <prefix>-a}, {@code -b}, {@code -c} under a prefix no
   * other test uses, so the prefix itself sorts just before them.
   */
  private List<String> threeRepos() {
    String prefix = newRepo("catalog");
    List<String> repos = List.of(prefix + "-a", prefix + "-b", prefix + "-c");
    for (String repo : repos) {
      push().image(repo, "v1");
    }
    return repos;
  }

  private static List<String> repositories(HttpResponse<byte[]> response) {
    List<String> names = new ArrayList<>();
    json(response).path("repositories").forEach(name -> names.add(name.asText()));
    return names;
  }

  @Test
  void walkingAllPagesListsEveryRepositoryOnceInOrder() {
    List<String> mine = threeRepos();
    List<String> seen = new ArrayList<>();
    Optional<String> next = Optional.of("/v2/_catalog?n=50");
    int pages = 0;

    while (next.isPresent()) {
      HttpResponse<byte[]> page = client().get(next.get());
      assertStatus(200, page);
      List<String> names = repositories(page);
      assertTrue(names.size() <= 50, () -> "page larger than n: " + describe(page));
      seen.addAll(names);
      next = LinkHeader.next(page);
      assertTrue(++pages < 10_000, "pagination does not end");
    }

    assertTrue(seen.containsAll(mine), () -> "catalog " + seen + " lacks " + mine);
    assertEquals(seen.size(), new HashSet<>(seen).size(), () -> "duplicates in " + seen);
    assertEquals(seen.stream().sorted().toList(), seen, "catalog order");
  }

  @Test
  void nLimitsThePageAndLinkPointsAfterIt() {
    List<String> mine = threeRepos();
    String justBeforeMine = mine.get(0).substring(0, mine.get(0).length() - "-a".length());

    HttpResponse<byte[]> first = client().get("/v2/_catalog?n=2&last=" + justBeforeMine);

    assertStatus(200, first);
    assertEquals(mine.subList(0, 2), repositories(first));
    String next = LinkHeader.next(first)
        .orElseThrow(() -> new AssertionError("no Link rel=next on a truncated catalog: " + describe(first)));
    HttpResponse<byte[]> second = client().get(next);
    assertStatus(200, second);
    assertEquals(mine.get(2), repositories(second).getFirst());
  }

  @Test
  void nZeroListsNoRepositories() {
    threeRepos();

    HttpResponse<byte[]> response = client().get("/v2/_catalog?n=0");

    assertStatus(200, response);
    assertEquals(List.of(), repositories(response));
  }

  @Test
  void lastStartsAfterTheGivenRepository() {
    List<String> mine = threeRepos();

    HttpResponse<byte[]> response = client().get("/v2/_catalog?n=2&last=" + mine.get(0));

    assertStatus(200, response);
    assertEquals(mine.subList(1, 3), repositories(response));
  }
}
