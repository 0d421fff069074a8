#!/usr/bin/env bash
# Side-by-side benchmark: Berth against the reference registry (CNCF distribution 2.8.2, Debian's
# docker-registry), same machine, same loopback, same client (curl). Reports each figure and the ratio
# Berth/distribution (below 1 is Berth faster or smaller).
#
#   conformance/bench/compare-with-distribution.sh [BIG_MIB] [SMALL_COUNT]
#
# Measures: one streamed PATCH of a BIG_MIB blob (what docker sends), its download, SMALL_COUNT monolithic
# uploads of 4 KiB blobs, SMALL_COUNT manifest GETs, and each server's peak resident memory (VmHWM).
# JVM options for Berth come from BERTH_JAVA_OPTS (default: what ./berth run uses).
# Needs: a built server/target/berth.jar (./berth build), docker-registry, curl. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIG_MIB=${1:-1024}
SMALL_COUNT=${2:-300}
JAR=server/target/berth.jar
[ -f "$JAR" ] || { echo "build first: ./berth build" >&2; exit 1; }
command -v docker-registry >/dev/null || { echo "needs docker-registry (Debian package)" >&2; exit 1; }
JAVA=$(./berth java-home 2>/dev/null || true)/bin/java
[ -x "$JAVA" ] || JAVA=$(ls -d /usr/lib/jvm/*25* /usr/lib/jvm/*21* 2>/dev/null | head -1)/bin/java

WORK=$(mktemp -d /tmp/berth-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

BERTH_PORT=55001
DIST_PORT=55002
mkdir -p "$WORK/berth" "$WORK/dist"
BERTH_HTTP_ADDR=127.0.0.1:$BERTH_PORT BERTH_STORAGE_FILESYSTEM_ROOT=$WORK/berth/data BERTH_LOG_LEVEL=warn \
  env -u BERTH_JAVA_OPTS "$JAVA" ${BERTH_JAVA_OPTS:--XX:+UseSerialGC -Xms16m -Xmx256m} -jar "$JAR" >"$WORK/berth.log" 2>&1 &
PIDS+=($!); BERTH_PID=$!
cat >"$WORK/dist/config.yml" <<YML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $WORK/dist/data}}
http: {addr: 127.0.0.1:$DIST_PORT}
YML
docker-registry serve "$WORK/dist/config.yml" >"$WORK/dist.log" 2>&1 &
PIDS+=($!); DIST_PID=$!
for port in $BERTH_PORT $DIST_PORT; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
done

echo "making a ${BIG_MIB} MiB blob..."
head -c "$((BIG_MIB * 1024 * 1024))" /dev/urandom >"$WORK/big"
BIG_DIGEST=sha256:$(sha256sum "$WORK/big" | cut -d' ' -f1)
head -c 4096 /dev/urandom >"$WORK/small-base"

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }

# upload_big PORT: POST, one streamed PATCH without Content-Range, PUT ?digest= (docker's sequence)
upload_big() {
  local base=http://127.0.0.1:$1 loc
  loc=$(curl -sf -X POST -D - -o /dev/null "$base/v2/bench/big/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case "$loc" in http*) ;; *) loc=$base$loc ;; esac
  loc=$(curl -sf -X PATCH -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/octet-stream' \
    -T "$WORK/big" -D - -o /dev/null "$loc" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case "$loc" in http*) ;; *) loc=$base$loc ;; esac
  case "$loc" in *\?*) sep='&' ;; *) sep='?' ;; esac
  curl -sf -X PUT -o /dev/null "$loc${sep}digest=$BIG_DIGEST"
}

# timed to /dev/null, so the figure is the server's and not the client's disk or hashing
download_big() {
  curl -sf -o /dev/null "http://127.0.0.1:$1/v2/bench/big/blobs/$BIG_DIGEST"
}

verify_big() {
  local got
  got=sha256:$(curl -sf "http://127.0.0.1:$1/v2/bench/big/blobs/$BIG_DIGEST" | sha256sum | cut -d' ' -f1)
  [ "$got" = "$BIG_DIGEST" ] || { echo "download from port $1 is corrupt: $got" >&2; exit 1; }
}

# put_blob PORT REPO FILE: POST, then PUT ?digest= with the whole body (buildkit's sequence; distribution 2.8
# ignores the body of a single-POST upload, so that form can't be compared)
put_blob() {
  local base=http://127.0.0.1:$1 loc d sep
  d=sha256:$(sha256sum "$3" | cut -d' ' -f1)
  loc=$(curl -sf -X POST -D - -o /dev/null "$base/v2/$2/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case "$loc" in http*) ;; *) loc=$base$loc ;; esac
  case "$loc" in *\?*) sep='&' ;; *) sep='?' ;; esac
  curl -sf -X PUT -o /dev/null -H 'Content-Type: application/octet-stream' --data-binary @"$3" "$loc${sep}digest=$d"
}

upload_small() {
  local i f
  for i in $(seq "$SMALL_COUNT"); do
    f=$WORK/small-$1
    { cat "$WORK/small-base"; echo "$i"; } >"$f"
    put_blob "$1" bench/small "$f"
  done
}

push_manifest() {
  local cfgd layer_size
  printf '{}' >"$WORK/config.json"
  cfgd=sha256:$(sha256sum "$WORK/config.json" | cut -d' ' -f1)
  put_blob "$1" bench/big "$WORK/config.json"
  layer_size=$(stat -c %s "$WORK/big")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
    "$cfgd" "$BIG_DIGEST" "$layer_size" >"$WORK/manifest.json"
  curl -sf -X PUT -o /dev/null -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary @"$WORK/manifest.json" "http://127.0.0.1:$1/v2/bench/big/manifests/latest"
}

get_manifests() {
  local urls=() i
  for i in $(seq "$SMALL_COUNT"); do urls+=("http://127.0.0.1:$1/v2/bench/big/manifests/latest"); done
  # one curl process, keep-alive: measures the server, not process start-up
  curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json" "${urls[@]}" >/dev/null
}

declare -A R
for who in berth dist; do
  port=$BERTH_PORT; [ $who = dist ] && port=$DIST_PORT
  t=$(now); upload_big $port; R[$who.upload]=$(elapsed "$t")
  t=$(now); download_big $port; R[$who.download]=$(elapsed "$t")
  verify_big $port
  t=$(now); upload_small $port; R[$who.small]=$(elapsed "$t")
  push_manifest $port
  t=$(now); get_manifests $port; R[$who.manifests]=$(elapsed "$t")
done
R[berth.rss]=$(awk '/VmHWM/{print $2}' /proc/$BERTH_PID/status)
R[dist.rss]=$(awk '/VmHWM/{print $2}' /proc/$DIST_PID/status)

ratio() { echo "scale=2; ${R[berth.$1]} / ${R[dist.$1]}" | bc; }
printf '\n%-44s %12s %14s %8s\n' "measure" "berth" "distribution" "ratio"
printf '%-44s %12.2f %14.2f %8s\n' "upload ${BIG_MIB} MiB, one streamed PATCH (s)" "${R[berth.upload]}" "${R[dist.upload]}" "$(ratio upload)"
printf '%-44s %12.2f %14.2f %8s\n' "download ${BIG_MIB} MiB (s)" "${R[berth.download]}" "${R[dist.download]}" "$(ratio download)"
printf '%-44s %12.2f %14.2f %8s\n' "$SMALL_COUNT 4 KiB uploads, POST+PUT (s)" "${R[berth.small]}" "${R[dist.small]}" "$(ratio small)"
printf '%-44s %12.2f %14.2f %8s\n' "$SMALL_COUNT manifest GETs, keep-alive (s)" "${R[berth.manifests]}" "${R[dist.manifests]}" "$(ratio manifests)"
printf '%-44s %12d %14d %8s\n' "peak resident memory (KiB)" "${R[berth.rss]}" "${R[dist.rss]}" "$(ratio rss)"
