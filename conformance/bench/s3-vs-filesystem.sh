#!/usr/bin/env bash
# Large-blob throughput of Berth on S3 (S3Proxy on loopback, over its filesystem store) next to Berth on the
# filesystem, and next to the reference registry (distribution 2.8.2) on the same S3Proxy. Same machine, same
# loopback, same client (curl), same blob.
#
#   conformance/bench/s3-vs-filesystem.sh [BIG_MIB] [ROUNDS]
#
# For each server: one streamed PATCH of a BIG_MIB blob (docker's way), then the PUT that completes it, timed
# apart: the PUT is the commit step (Berth verifies the digest and makes the blob visible under it, on S3 without
# copying; distribution copies the upload to its final key), then a download to /dev/null and a ranged read of the
# last MiB. Each round uses a fresh blob. Prints MiB/s and seconds, and the ratio S3/filesystem for Berth.
# Needs: ./berth build, `mvn -o test-compile -pl storage` (for S3Proxy), docker-registry, curl, bc. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIG_MIB=${1:-1024}
ROUNDS=${2:-2}
JAR=server/target/berth.jar
[ -f "$JAR" ] || { echo "build first: ./berth build" >&2; exit 1; }
[ -d storage/target/test-classes ] || { echo "compile the storage tests first: mvn -o test-compile -pl storage" >&2; exit 1; }
JAVA=$(./berth java-home 2>/dev/null || true)/bin/java
[ -x "$JAVA" ] || JAVA=$(ls -d /usr/lib/jvm/*25* /usr/lib/jvm/*21* 2>/dev/null | head -1)/bin/java

WORK=$(mktemp -d /tmp/berth-s3bench.XXXXXX)
PIDS=()
# S3Proxy runs in a subshell (fed by sleep): kill the subshell's children too, or they outlive the script and hold
# its stdout open (a `| tail` after it would wait for ever).
cleanup() {
  for p in "${PIDS[@]}"; do pkill -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true; rm -rf "$WORK"
}
trap cleanup EXIT

JAVA_HOME=$(dirname "$(dirname "$JAVA")") mvn -B -q -o dependency:build-classpath -pl storage \
  -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt" >/dev/null
CP=storage/target/test-classes:storage/target/classes:$(cat "$WORK/cp.txt")
(sleep 1000000 | "$JAVA" -Xmx512m -cp "$CP" io.berth.storage.s3.S3ProxyMain bench >"$WORK/s3proxy.out" 2>"$WORK/s3proxy.log") &
PIDS+=($!)
for _ in $(seq 200); do [ -s "$WORK/s3proxy.out" ] && break; sleep 0.1; done
read -r S3_ENDPOINT S3_BUCKET S3_ACCESS S3_SECRET <"$WORK/s3proxy.out"
echo "S3Proxy at $S3_ENDPOINT, bucket $S3_BUCKET"

FS_PORT=55011
S3_PORT=55012
DIST_PORT=55013
start_berth() { # PORT LOG [VAR=VALUE...]
  local port=$1 log=$2; shift 2
  env -u BERTH_JAVA_OPTS BERTH_HTTP_ADDR=127.0.0.1:$port BERTH_LOG_LEVEL=warn "$@" \
    "$JAVA" ${BERTH_JAVA_OPTS:--XX:+UseSerialGC -Xms16m -Xmx128m} -jar "$JAR" >"$log" 2>&1 &
  PIDS+=($!)
}
start_berth $FS_PORT "$WORK/berth-fs.log" BERTH_STORAGE_FILESYSTEM_ROOT="$WORK/fs-data"
start_berth $S3_PORT "$WORK/berth-s3.log" BERTH_STORAGE_BACKEND=s3 BERTH_STORAGE_S3_BUCKET="$S3_BUCKET" \
  BERTH_STORAGE_S3_PREFIX=berth BERTH_STORAGE_S3_ENDPOINT="$S3_ENDPOINT" BERTH_STORAGE_S3_PATHSTYLE=true \
  BERTH_STORAGE_S3_ACCESSKEY="$S3_ACCESS" BERTH_STORAGE_S3_SECRETKEY="$S3_SECRET"
SERVERS="berth-fs:$FS_PORT berth-s3:$S3_PORT"
if command -v docker-registry >/dev/null; then
  cat >"$WORK/dist.yml" <<YML
version: 0.1
log: {level: error}
storage:
  s3: {accesskey: "$S3_ACCESS", secretkey: "$S3_SECRET", region: us-east-1, regionendpoint: "$S3_ENDPOINT",
       bucket: "$S3_BUCKET", secure: false, v4auth: true, rootdirectory: /distribution}
  redirect: {disable: true}   # serve blobs through the registry, as Berth does, not by redirect to S3
http: {addr: 127.0.0.1:$DIST_PORT}
YML
  # its AWS SDK refuses a custom CA bundle with a plain-HTTP endpoint
  env -u AWS_CA_BUNDLE docker-registry serve "$WORK/dist.yml" >"$WORK/dist.log" 2>&1 &
  PIDS+=($!)
  SERVERS="$SERVERS dist-s3:$DIST_PORT"
fi
for s in $SERVERS; do
  port=${s#*:}
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$port/v2/" >/dev/null || { echo "${s%%:*} did not start" >&2; cat "$WORK"/*.log >&2; exit 1; }
done

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
absolute() { case "$2" in http*) echo "$2" ;; *) echo "$1$2" ;; esac; }

declare -A PATCH_S PUT_S GET_S RANGE_S
for round in $(seq "$ROUNDS"); do
  head -c "$((BIG_MIB * 1024 * 1024))" /dev/urandom >"$WORK/big"
  digest=sha256:$(sha256sum "$WORK/big" | cut -d' ' -f1)
  for s in $SERVERS; do
    name=${s%%:*}; base=http://127.0.0.1:${s#*:}
    loc=$(absolute "$base" "$(curl -sf -X POST -D - -o /dev/null "$base/v2/bench/big/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')")
    t=$(now)
    loc=$(absolute "$base" "$(curl -sf -X PATCH -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/octet-stream' \
      -T "$WORK/big" -D - -o /dev/null "$loc" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')")
    PATCH_S[$name]="${PATCH_S[$name]:-} $(since "$t")"
    case "$loc" in *\?*) sep='&' ;; *) sep='?' ;; esac
    t=$(now)
    curl -sf -X PUT -o /dev/null "$loc${sep}digest=$digest"
    PUT_S[$name]="${PUT_S[$name]:-} $(since "$t")"
    t=$(now)
    curl -sf -o /dev/null "$base/v2/bench/big/blobs/$digest"
    GET_S[$name]="${GET_S[$name]:-} $(since "$t")"
    t=$(now)
    curl -sf -o /dev/null -H "Range: bytes=$((BIG_MIB * 1024 * 1024 - 1048576))-" "$base/v2/bench/big/blobs/$digest"
    RANGE_S[$name]="${RANGE_S[$name]:-} $(since "$t")"
    got=sha256:$(curl -sf "$base/v2/bench/big/blobs/$digest" | sha256sum | cut -d' ' -f1)
    [ "$got" = "$digest" ] || { echo "$name served a corrupt blob: $got" >&2; exit 1; }
  done
done

best() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | head -1; }
mibs() { echo "scale=0; $BIG_MIB / $1" | bc; }
printf '\n%s MiB blob, best of %s rounds (seconds; MiB/s in brackets)\n' "$BIG_MIB" "$ROUNDS"
printf '%-38s' "figure"; for s in $SERVERS; do printf '%16s' "${s%%:*}"; done; printf '%14s\n' "s3/fs (Berth)"
row() { # LABEL ARRAY-NAME WITH-RATE
  local label=$1; local -n arr=$2; printf '%-38s' "$label"
  for s in $SERVERS; do
    local v; v=$(best "${arr[${s%%:*}]}")
    if [ "$3" = rate ]; then printf '%16s' "$(printf '%.2f' "$v") ($(mibs "$v"))"; else printf '%16s' "$(printf '%.3f' "$v")"; fi
  done
  printf '%14s\n' "$(printf '%.2f' "$(echo "$(best "${arr[berth-s3]}") / $(best "${arr[berth-fs]}")" | bc -l)")"
}
row "upload: streamed PATCH" PATCH_S rate
row "commit: PUT ?digest= (verify+publish)" PUT_S plain
row "download" GET_S rate
row "ranged read of the last MiB" RANGE_S plain
