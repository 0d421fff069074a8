package io.berth.oci;

import java.util.regex.Pattern;

/** A tag: {@code [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}} (distribution-spec). */
public record Tag(String name) implements Reference {
  private static final Pattern GRAMMAR = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");

  public Tag {
    if (name == null || !GRAMMAR.matcher(name).matches()) {
      throw new RegistryException(ErrorCode.TAG_INVALID, "invalid tag: " + Text.abbreviate(name, 140));
    }
  }

  public static Tag parse(String text) {
    return new Tag(text);
  }

  public static boolean isValid(String text) {
    return text != null && GRAMMAR.matcher(text).matches();
  }

  @Override
  public String toString() {
    return name;
  }

}
