package io.berth.oci;

import java.util.regex.Pattern;

/**
 * A repository name such as {@code team/app/api}: path components of lower-case alphanumerics joined by
 * {@code .}, {@code _}, {@code __} or runs of {@code -}, as the distribution-spec's grammar says.
 * The grammar admits no {@code ..}, no empty component and no leading {@code _}, so a valid name is also a
 * safe relative storage path and can never reach outside its repository directory.
 */
public record RepositoryName(String value) implements Comparable<RepositoryName> {
  private static final Pattern GRAMMAR =
      Pattern.compile("[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");

  /** distribution's limit; the spec asks that host plus name stay under 255 characters. */
  public static final int MAX_LENGTH = 255;

  public RepositoryName {
    if (!isValid(value)) {
      throw new RegistryException(ErrorCode.NAME_INVALID, "invalid repository name: " + Text.abbreviate(value, 80));
    }
  }

  public static RepositoryName parse(String text) {
    return new RepositoryName(text);
  }

  public static boolean isValid(String text) {
    return text != null && !text.isEmpty() && text.length() <= MAX_LENGTH && GRAMMAR.matcher(text).matches();
  }

  @Override
  public int compareTo(RepositoryName o) {
    return value.compareTo(o.value);
  }

  @Override
  public String toString() {
    return value;
  }

}
