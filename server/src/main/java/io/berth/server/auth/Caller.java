package io.berth.server.auth;

/**
 * Who sent a request, as authentication sees it.
 *
 * @param authorization the {@code Authorization} header, or null
 * @param address the client's address, for throttling failed sign-ins
 * @param origin {@code scheme://host[:port]} the client used to reach us, for the token realm when none is
 *     configured
 */
public record Caller(String authorization, String address, String origin) {}
