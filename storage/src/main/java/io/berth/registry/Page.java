package io.berth.registry;

import java.util.ArrayList;
import java.util.List;

/** One page of a sorted listing, and whether more follow (for the {@code Link} header). */
public record Page(List<String> items, boolean hasMore) {

  /**
   * Takes up to {@code limit} items after {@code last} from a sorted list.
   *
   * @param limit maximum items, or null for all
   */
  public static Page of(List<String> sorted, String last, Integer limit) {
    if (limit != null && limit == 0) {
      return new Page(List.of(), false); // n=0 asks for nothing, and no link to more
    }
    List<String> after = new ArrayList<>();
    for (String s : sorted) {
      if (last == null || s.compareTo(last) > 0) {
        after.add(s);
      }
    }
    if (limit == null || after.size() <= limit) {
      return new Page(List.copyOf(after), false);
    }
    return new Page(List.copyOf(after.subList(0, limit)), true);
  }
}
