package io.berth.oci;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.DeserializationFeature;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A manifest exactly as pushed: its bytes, their digest, its media type and what it references.
 * Parsing reads the JSON but never re-serializes it, so the digest is always that of the stored bytes.
 */
public final class Manifest {
  /** distribution's limit; the spec asks registries to accept at least 4 MB. */
  public static final int MAX_SIZE = 4 * 1024 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private final byte[] bytes;
  private final Digest digest;
  private final String mediaType;
  private final Descriptor config;
  private final List<Descriptor> layers;
  private final List<Descriptor> manifests;
  private final Descriptor subject;
  private final String artifactType;
  private final Map<String, String> annotations;

  private Manifest(byte[] bytes, Digest digest, String mediaType, Descriptor config, List<Descriptor> layers,
      List<Descriptor> manifests, Descriptor subject, String artifactType, Map<String, String> annotations) {
    this.bytes = bytes;
    this.digest = digest;
    this.mediaType = mediaType;
    this.config = config;
    this.layers = layers;
    this.manifests = manifests;
    this.subject = subject;
    this.artifactType = artifactType;
    this.annotations = annotations;
  }

  /**
   * Parses and validates pushed manifest bytes.
   *
   * @param bytes the body as received; kept as is
   * @param contentType the request's {@code Content-Type}, used when the manifest has no {@code mediaType}
   * @param algorithm the algorithm to digest the bytes with (that of the reference when pushed by digest)
   * @throws RegistryException MANIFEST_INVALID when the JSON is malformed or is not a manifest we know
   */
  public static Manifest parse(byte[] bytes, String contentType, DigestAlgorithm algorithm) {
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw invalid("malformed JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw invalid("unreadable manifest");
    }
    if (root == null || !root.isObject()) {
      throw invalid("a manifest must be a JSON object");
    }
    JsonNode version = root.get("schemaVersion");
    if (version == null || !version.isInt() || version.intValue() != 2) {
      throw invalid("schemaVersion must be 2");
    }
    String declared = optionalText(root, "mediaType");
    String headerType = MediaTypes.essence(contentType);
    String mediaType = resolveMediaType(root, declared, headerType);

    boolean index = MediaTypes.INDEXES.contains(mediaType);
    Descriptor config = null;
    List<Descriptor> layers = List.of();
    List<Descriptor> manifests = List.of();
    if (index) {
      manifests = descriptors(root, "manifests", true);
    } else {
      config = descriptor(requireField(root, "config"), "config");
      // OCI artifacts may carry no layers at all.
      layers = descriptors(root, "layers", false);
    }
    JsonNode subjectNode = root.get("subject");
    Descriptor subject = subjectNode == null || subjectNode.isNull() ? null : descriptor(subjectNode, "subject");
    return new Manifest(bytes, Digest.of(algorithm, bytes), mediaType, config, layers, manifests, subject,
        optionalText(root, "artifactType"), annotations(root.get("annotations")));
  }

  private static String resolveMediaType(JsonNode root, String declared, String headerType) {
    if (declared != null) {
      if (!MediaTypes.isManifest(declared)) {
        throw invalid("unsupported manifest media type: " + declared);
      }
      if (MediaTypes.isManifest(headerType) && !headerType.equals(declared)) {
        throw invalid("mediaType " + declared + " does not match Content-Type " + headerType);
      }
      return declared;
    }
    // Without a mediaType field only OCI types are possible (Docker's require the field), told apart by their
    // fields: the stored bytes alone then always give the type back, whatever Content-Type it was pushed with.
    String sniffed = sniff(root);
    if (sniffed == null) {
      throw invalid("cannot tell the manifest media type: no mediaType field, no config, no manifests");
    }
    if (MediaTypes.isManifest(headerType) && !headerType.equals(sniffed)) {
      throw invalid("Content-Type " + headerType + " does not match the manifest, which has no mediaType and reads as "
          + sniffed);
    }
    return sniffed;
  }

  private static String sniff(JsonNode root) {
    if (root.has("manifests")) {
      return MediaTypes.OCI_INDEX;
    }
    if (root.has("config")) {
      return MediaTypes.OCI_MANIFEST;
    }
    return null;
  }

  /**
   * The media type of a manifest that was accepted before: its {@code mediaType} field, or the OCI type its fields
   * show. Lenient on purpose, so a stricter {@link #parse} in a later version never makes stored manifests unreadable.
   */
  public static String storedMediaType(byte[] stored) {
    try {
      JsonNode root = JSON.readTree(stored);
      JsonNode declared = root.get("mediaType");
      if (declared != null && declared.isTextual()) {
        return declared.textValue();
      }
      String sniffed = sniff(root);
      return sniffed != null ? sniffed : MediaTypes.OCI_MANIFEST;
    } catch (java.io.IOException e) {
      return MediaTypes.OCI_MANIFEST;
    }
  }

  private static JsonNode requireField(JsonNode root, String name) {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      throw invalid("missing " + name);
    }
    return node;
  }

  private static List<Descriptor> descriptors(JsonNode root, String field, boolean required) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      if (required) {
        throw invalid("missing " + field);
      }
      return List.of();
    }
    if (!node.isArray()) {
      throw invalid(field + " must be an array");
    }
    List<Descriptor> out = new ArrayList<>(node.size());
    for (JsonNode item : node) {
      out.add(descriptor(item, field));
    }
    return Collections.unmodifiableList(out);
  }

  private static Descriptor descriptor(JsonNode node, String where) {
    if (!node.isObject()) {
      throw invalid(where + ": a descriptor must be an object");
    }
    String mediaType = optionalText(node, "mediaType");
    if (mediaType == null || mediaType.isEmpty()) {
      throw invalid(where + ": descriptor without mediaType");
    }
    JsonNode digestNode = node.get("digest");
    if (digestNode == null || !digestNode.isTextual()) {
      throw invalid(where + ": descriptor without digest");
    }
    Digest digest;
    try {
      digest = Digest.parse(digestNode.textValue());
    } catch (RegistryException e) {
      throw invalid(where + ": " + e.detail());
    }
    JsonNode size = node.get("size");
    if (size == null || !size.canConvertToLong() || !size.isIntegralNumber() || size.longValue() < 0) {
      throw invalid(where + ": descriptor " + digest + " without a valid size");
    }
    return new Descriptor(mediaType, digest, size.longValue(), optionalText(node, "artifactType"),
        annotations(node.get("annotations")));
  }

  private static Map<String, String> annotations(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isObject()) {
      throw invalid("annotations must be an object");
    }
    Map<String, String> out = new LinkedHashMap<>();
    var fields = node.fields();
    while (fields.hasNext()) {
      var e = fields.next();
      if (!e.getValue().isTextual()) {
        throw invalid("annotation values must be strings");
      }
      out.put(e.getKey(), e.getValue().textValue());
    }
    return Collections.unmodifiableMap(out);
  }

  private static String optionalText(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw invalid(field + " must be a string");
    }
    return v.textValue();
  }

  private static RegistryException invalid(String detail) {
    return new RegistryException(ErrorCode.MANIFEST_INVALID, detail);
  }

  public byte[] bytes() {
    return bytes;
  }

  public Digest digest() {
    return digest;
  }

  public String mediaType() {
    return mediaType;
  }

  public boolean isIndex() {
    return MediaTypes.INDEXES.contains(mediaType);
  }

  /** The config descriptor of an image manifest; empty for an index. */
  public Optional<Descriptor> config() {
    return Optional.ofNullable(config);
  }

  public List<Descriptor> layers() {
    return layers;
  }

  /** The entries of an index. */
  public List<Descriptor> manifests() {
    return manifests;
  }

  public Optional<Descriptor> subject() {
    return Optional.ofNullable(subject);
  }

  /** {@code artifactType}, falling back to the config's media type as the referrers API asks. */
  public String effectiveArtifactType() {
    if (artifactType != null) {
      return artifactType;
    }
    return config == null ? null : config.mediaType();
  }

  public Map<String, String> annotations() {
    return annotations;
  }

  /** Every blob this manifest needs in its repository: config then layers (image manifests only). */
  public List<Descriptor> blobReferences() {
    if (config == null) {
      return layers;
    }
    List<Descriptor> all = new ArrayList<>(layers.size() + 1);
    all.add(config);
    all.addAll(layers);
    return all;
  }

  /** A descriptor of this manifest as an entry in another index (such as a referrers list). */
  public Descriptor toDescriptor() {
    return new Descriptor(mediaType, digest, bytes.length, effectiveArtifactType(), annotations);
  }
}
