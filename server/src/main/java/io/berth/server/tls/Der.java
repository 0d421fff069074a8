package io.berth.server.tls;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Just enough DER (ASN.1) to wrap a traditional RSA or EC key into PKCS#8, which the JDK reads: write a
 * tag-length-value, and read one.
 */
final class Der {
  static final int INTEGER = 0x02;
  static final int OCTET_STRING = 0x04;
  static final int NULL = 0x05;
  static final int OID = 0x06;
  static final int SEQUENCE = 0x30;
  /** {@code [0]}, constructed: where SEC1 keeps an EC key's curve. */
  static final int CONTEXT_0 = 0xA0;

  /** One element read back: its tag and its contents. */
  record Element(int tag, byte[] value) {}

  private Der() {}

  /** Tag, length and {@code value}, concatenated. */
  static byte[] encode(int tag, byte[]... values) {
    ByteArrayOutputStream content = new ByteArrayOutputStream();
    for (byte[] v : values) {
      content.writeBytes(v);
    }
    int length = content.size();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    if (length < 0x80) {
      out.write(length);
    } else {
      int bytes = (32 - Integer.numberOfLeadingZeros(length) + 7) / 8;
      out.write(0x80 | bytes);
      for (int i = bytes - 1; i >= 0; i--) {
        out.write(length >>> (8 * i));
      }
    }
    out.writeBytes(content.toByteArray());
    return out.toByteArray();
  }

  /** The elements directly inside {@code der}'s contents, which must be one SEQUENCE. */
  static Element[] sequence(byte[] der) {
    Element outer = read(der, 0);
    if (outer.tag != SEQUENCE) {
      throw new IllegalArgumentException("not a DER sequence");
    }
    List<Element> inside = new ArrayList<>();
    int at = 0;
    while (at < outer.value.length) {
      Element e = read(outer.value, at);
      inside.add(e);
      at += headerLength(outer.value, at) + e.value.length;
    }
    return inside.toArray(Element[]::new);
  }

  private static Element read(byte[] der, int at) {
    int header = headerLength(der, at);
    int length = length(der, at);
    if (at + header + length > der.length) {
      throw new IllegalArgumentException("truncated DER");
    }
    return new Element(der[at] & 0xFF, Arrays.copyOfRange(der, at + header, at + header + length));
  }

  private static int headerLength(byte[] der, int at) {
    int first = der[at + 1] & 0xFF;
    return first < 0x80 ? 2 : 2 + (first & 0x7F);
  }

  private static int length(byte[] der, int at) {
    if (at + 1 >= der.length) {
      throw new IllegalArgumentException("truncated DER");
    }
    int first = der[at + 1] & 0xFF;
    if (first < 0x80) {
      return first;
    }
    int bytes = first & 0x7F;
    if (bytes > 3 || at + 1 + bytes >= der.length) {
      throw new IllegalArgumentException("bad DER length");
    }
    int length = 0;
    for (int i = 0; i < bytes; i++) {
      length = (length << 8) | (der[at + 2 + i] & 0xFF);
    }
    return length;
  }
}
