/**
 * End-to-end tests with real clients: docker (Debian's dockerd, started privately per class), containerd's
 * ctr (a private containerd per class; it pushes with the code buildkit and buildx use), buildah, skopeo and
 * podman push to and pull from Berth, started from its jar as a separate process on 127.0.0.1.
 * Each test then checks through the registry API that what the client reported is what Berth stores.
 *
 * <p>Run as root with the clients installed ({@code .ci/run} installs them):
 * {@code mvn verify -pl conformance -am -Dtest='io.berth.e2e.*Test' -Dsurefire.failIfNoSpecifiedTests=false}.
 * Without a client the class is skipped, unless {@code BERTH_REQUIRE_E2E=1}, which makes it a failure. When a
 * test fails, the logs of Berth and dockerd or containerd are printed to its output
 * ({@code target/surefire-reports/<class>-output.txt}); {@code BERTH_LOG_LEVEL} is passed on to Berth.
 *
 * <p>{@link io.berth.e2e.TokenAuthEndToEndTest} runs these clients against Berth in token mode, with users and access
 * rules, and checks the token requests each one sends (Berth's access log) and what each is allowed.
 *
 * <p>Over HTTPS ({@code http.tls}, certificates from {@code deploy/tls-certs.sh}): curl and skopeo must trust
 * Berth's CA to connect and fail on the certificate without it ({@link io.berth.e2e.HttpsEndToEndTest}); docker
 * trusts it through {@code certs.d}, with a daemon whose own /etc/hosts names the registry so that docker does not
 * treat it as a loopback (insecure) registry ({@link io.berth.e2e.DockerHttpsEndToEndTest}).
 *
 * <p>{@link io.berth.e2e.CrashConsistencyTest} needs no client and no root: it kills Berth with SIGKILL under
 * concurrent pushes, restarts it on the same storage and checks that nothing acknowledged was lost or torn.
 */
package io.berth.e2e;
