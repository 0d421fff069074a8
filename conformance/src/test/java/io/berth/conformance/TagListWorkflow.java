package io.berth.conformance;

import static io.berth.conformance.Responses.assertError;
import static io.berth.conformance.Responses.assertStatus;
import static io.berth.conformance.Responses.describe;
import static io.berth.conformance.Responses.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Content discovery, tags: the list is sorted lexically and pages with {@code n}, {@code last} and {@code Link}. */
abstract class TagListWorkflow extends Workflow {
  // Deliberately pushed out of order, with an uppercase tag and digits, to show the registry sorts lexically.
  private static final List<String> TAGS_AS_PUSHED = List.of("v2", "latest", "v10", "Beta", "alpha", "v1");
  private static final List<String> TAGS_SORTED = List.of("Beta", "alpha", "latest", "v1", "v10", "v2");

  private String repoWithTags() {
    String repo = newRepo("tags");
    Manifest manifest = push().image(repo, TAGS_AS_PUSHED.getFirst()).manifest();
    for (String tag : TAGS_AS_PUSHED.subList(1, TAGS_AS_PUSHED.size())) {
      push().manifest(repo, tag, manifest);
    }
    return repo;
  }

  private static List<String> tags(HttpResponse<byte[]> response) {
    List<String> tags = new ArrayList<>();
    json(response).path("tags").forEach(tag -> tags.add(tag.asText()));
    return tags;
  }

  @Test
  void tagsAreListedInLexicalOrder() {
    String repo = repoWithTags();

    HttpResponse<byte[]> response = client().get("/v2/" + repo + "/tags/list");

    assertStatus(200, response);
    assertEquals(repo, json(response).path("name").asText());
    if (target().followsSpec(Deviation.TAGS_NOT_SORTED)) {
      assertEquals(TAGS_SORTED, tags(response));
    } else {
      assertEquals(TAGS_SORTED, tags(response).stream().sorted().toList());
    }
  }

  @Test
  void firstPageHasNTagsAndLinkToNext() {
    assumeTrue(target().followsSpec(Deviation.NO_TAG_PAGINATION), "tag pagination: see DEVIATIONS.md");
    String repo = repoWithTags();

    HttpResponse<byte[]> response = client().get("/v2/" + repo + "/tags/list?n=2");

    assertStatus(200, response);
    assertEquals(TAGS_SORTED.subList(0, 2), tags(response));
    assertTrue(LinkHeader.next(response).isPresent(), () -> "no Link rel=next on a truncated list: " + describe(response));
  }

  @Test
  void followingLinkHeadersWalksAllTagsOnce() {
    assumeTrue(target().followsSpec(Deviation.NO_TAG_PAGINATION), "tag pagination: see DEVIATIONS.md");
    String repo = repoWithTags();
    List<String> seen = new ArrayList<>();
    Optional<String> next = Optional.of("/v2/" + repo + "/tags/list?n=4");
    int pages = 0;

    while (next.isPresent()) {
      HttpResponse<byte[]> page = client().get(next.get());
      assertStatus(200, page);
      List<String> tags = tags(page);
      assertTrue(tags.size() <= 4, () -> "page larger than n: " + describe(page));
      seen.addAll(tags);
      next = LinkHeader.next(page);
      assertTrue(++pages <= TAGS_SORTED.size(), "pagination does not end");
    }

    assertEquals(TAGS_SORTED, seen);
    assertEquals(2, pages);
  }

  @Test
  void lastStartsAfterTheGivenTag() {
    assumeTrue(target().followsSpec(Deviation.NO_TAG_PAGINATION), "tag pagination: see DEVIATIONS.md");
    String repo = repoWithTags();

    HttpResponse<byte[]> response = client().get("/v2/" + repo + "/tags/list?n=2&last=latest");

    assertStatus(200, response);
    assertEquals(List.of("v1", "v10"), tags(response));
  }

  @Test
  void lastWithoutNListsTheRest() {
    assumeTrue(target().followsSpec(Deviation.NO_TAG_PAGINATION), "tag pagination: see DEVIATIONS.md");
    String repo = repoWithTags();

    HttpResponse<byte[]> response = client().get("/v2/" + repo + "/tags/list?last=v1");

    assertStatus(200, response);
    assertEquals(List.of("v10", "v2"), tags(response));
  }

  @Test
  void nZeroListsNoTags() {
    assumeTrue(target().followsSpec(Deviation.NO_TAG_PAGINATION), "tag pagination: see DEVIATIONS.md");
    String repo = repoWithTags();

    HttpResponse<byte[]> response = client().get("/v2/" + repo + "/tags/list?n=0");

    assertStatus(200, response);
    JsonNode tags = json(response).path("tags");
    assertTrue(tags.isMissingNode() || tags.isNull() || (tags.isArray() && tags.isEmpty()),
        () -> "n=0 must list no tags: " + describe(response));
  }

  @Test
  void tagsOfUnknownRepositoryIsNameUnknown() {
    assertError(404, "NAME_UNKNOWN", client().get("/v2/" + newRepo("tags") + "/tags/list"));
  }
}
