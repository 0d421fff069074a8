package io.berth.server.tls;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The blocks of a PEM file ({@code -----BEGIN TYPE----- base64 -----END TYPE-----}); text around them is ignored. */
final class Pem {
  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

  /**
   * One block.
   *
   * @param encrypted the block says it is encrypted (a traditional key's {@code Proc-Type: 4,ENCRYPTED} header)
   */
  record Block(String type, byte[] der, boolean encrypted) {}

  private Pem() {}

  /** The blocks in {@code text}, in order; a block whose body is not base64 is an error. */
  static List<Block> blocks(String text) {
    List<Block> blocks = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      boolean encrypted = false;
      StringBuilder base64 = new StringBuilder();
      for (String line : m.group(2).split("\\R")) {
        if (line.contains(":")) { // a header (Proc-Type, DEK-Info), not data
          encrypted |= line.contains("ENCRYPTED");
        } else {
          base64.append(line.strip());
        }
      }
      try {
        blocks.add(new Block(m.group(1), Base64.getDecoder().decode(base64.toString()), encrypted));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("a " + m.group(1) + " block that is not valid base64");
      }
    }
    return blocks;
  }
}
