package io.berth.oci;

/** Client text quoted back in error details: cut short, so a huge bad input can't make a huge answer. */
public final class Text {
  private Text() {}

  public static String abbreviate(String s, int max) {
    if (s == null) {
      return "(none)";
    }
    return s.length() > max ? s.substring(0, max) + "..." : s;
  }
}
