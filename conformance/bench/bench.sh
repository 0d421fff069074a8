#!/usr/bin/env bash
# Berth against the reference registry, CNCF distribution 2.8.2 (Debian's docker-registry): both on the filesystem
# of the same disk, on loopback, driven by the same clients, warmed the same way, and measured in alternating
# order each round so both see the same machine noise. Prints, for each figure, Berth's value, distribution's, the
# ratio Berth/distribution (above 1 is Berth better for rates, below 1 for times and memory) and the target.
#
#   conformance/bench/bench.sh [ROUNDS] [BIG_MIB]          (defaults: 3 rounds, 512 MiB)
#
# Figures (median over the rounds; memory is the peak over them):
#   1. upload of a BIG_MIB blob: monolithic (POST, one streamed PUT) and chunked (PATCHes of 16 MiB), MiB/s, sent
#      with sendfile by BlobUpload.java
#   2. download of it, MiB/s; a ranged read of its last MiB, ms (median of 21)
#   3. 64 clients for LOAD_SECONDS (hey): manifest GET by tag with docker's Accept, blob HEAD, tags list:
#      requests/s, p50 and p99 latency, errors
#   4. SMALL_COUNT pushes of 4 KiB blobs (POST + PUT) at concurrency 16, blobs/s
#   5. each server's peak resident memory and CPU seconds during each phase (/proc)
#   6. time from process start to the first 200 on /v2/ (median of 5 starts)
#   and the disk's limit: BIG_MIB MiB written by dd with fdatasync, each round before the uploads
# Environment: LOAD_SECONDS (10), SMALL_COUNT (2000), WARM_SMALL (6000: small pushes to warm up with),
# BERTH_JAVA_OPTS (those of ./berth run: -Xmx128m, CDS).
# Needs: ./berth build, docker-registry, curl, hey. Uses only 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
BIG_MIB=${2:-512}
LOAD_SECONDS=${LOAD_SECONDS:-10}
SMALL_COUNT=${SMALL_COUNT:-2000}
WARM_SMALL=${WARM_SMALL:-6000}
JAR=server/target/berth.jar
[ -f "$JAR" ] || { echo "build first: ./berth build" >&2; exit 1; }
for tool in docker-registry curl hey; do
  command -v $tool >/dev/null || { echo "needs $tool (apt-get install docker-registry curl hey)" >&2; exit 1; }
done
JAVA=$(./berth java-home)/bin/java
BENCH=conformance/bench
WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/berth-bench.XXXXXX")
# As ./berth run starts it: the archive is made at the first start's exit, and the other starts use it.
JAVA_OPTS=${BERTH_JAVA_OPTS:--XX:+UseSerialGC -Xms16m -Xmx128m -XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=$WORK/berth.jsa -Xlog:cds=off -Xlog:cds+dynamic=off}

declare -A PID PORT
PORT[berth]=55101
PORT[dist]=55102
cleanup() {
  for who in berth dist; do [ -n "${PID[$who]:-}" ] && kill "${PID[$who]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/dist.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $WORK/dist-data}
  cache: {blobdescriptor: inmemory}
http: {addr: 127.0.0.1:${PORT[dist]}}
YML

now_ns() { date +%s%N; }

start() { # WHO: starts the server; sets PID[WHO], and STARTUP_MS to the time until /v2/ answered 200
  local who=$1 t0 code
  if curl -s -o /dev/null "http://127.0.0.1:${PORT[$who]}/"; then
    echo "port ${PORT[$who]} is taken: stop what listens there first" >&2
    exit 1
  fi
  t0=$(now_ns)
  if [ "$who" = berth ]; then
    BERTH_HTTP_ADDR=127.0.0.1:${PORT[berth]} BERTH_STORAGE_FILESYSTEM_ROOT=$WORK/berth-data BERTH_LOG_LEVEL=warn \
      "$JAVA" $JAVA_OPTS -jar "$JAR" >>"$WORK/berth.log" 2>&1 &
  else
    docker-registry serve "$WORK/dist.yml" >>"$WORK/dist.log" 2>&1 &
  fi
  PID[$who]=$!
  for _ in $(seq 3000); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORT[$who]}/v2/" || true)
    [ "$code" = 200 ] && { STARTUP_MS=$(( ($(now_ns) - t0) / 1000000 )); return; }
    sleep 0.005
  done
  echo "$who did not start; see $WORK/$who.log" >&2
  exit 1
}

stop() {
  kill "${PID[$1]}" 2>/dev/null || true
  wait "${PID[$1]}" 2>/dev/null || true
  PID[$1]=
}

rate() { awk -v mib="$BIG_MIB" -v t0="$1" -v t1="$(now_ns)" 'BEGIN{printf "%.0f", mib * 1e9 / (t1 - t0)}'; } # MiB/s since T0

median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "nan"; else print (NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2)}'; }

# Results: one line "WHO FIGURE VALUE" per measurement, in $WORK/results.
record() { echo "$1 $2 $3" >>"$WORK/results"; }

# Per phase, per server: peak resident memory (VmHWM, reset before the phase) and CPU seconds.
phase_begin() {
  local who
  for who in berth dist; do
    echo 5 >"/proc/${PID[$who]}/clear_refs" 2>/dev/null || true
    PHASE_CPU[$who]=$(awk '{print $14 + $15}' "/proc/${PID[$who]}/stat")
  done
}
phase_end() { # PHASE
  local who hz
  hz=$(getconf CLK_TCK)
  for who in berth dist; do
    record "$who" "rss.$1" "$(awk '/VmHWM/{printf "%.1f", $2 / 1024}' "/proc/${PID[$who]}/status")"
    record "$who" "cpu.$1" "$(awk -v before="${PHASE_CPU[$who]}" -v hz="$hz" '{printf "%.2f", ($14 + $15 - before) / hz}' \
      "/proc/${PID[$who]}/stat")"
  done
}
declare -A PHASE_CPU

location() { tr -d '\r' | sed -n 's/^[Ll]ocation: //p'; }
absolute() { case "$2" in http*) echo "$2" ;; *) echo "http://127.0.0.1:${PORT[$1]}$2" ;; esac; }
with_digest() { case "$1" in *\?*) echo "$1&digest=$2" ;; *) echo "$1?digest=$2" ;; esac; }

start_upload() { # WHO REPO
  absolute "$1" "$(curl -sf -X POST -D - -o /dev/null "http://127.0.0.1:${PORT[$1]}/v2/$2/blobs/uploads/" | location)"
}

# upload WHO FILE DIGEST mono|chunked: prints MiB/s. BlobUpload sends the body with sendfile: curl -T to a socket
# that only reads tops out near 400 MB/s here, too close to what the servers take to measure them.
upload() {
  "$JAVA" "$BENCH/BlobUpload.java" "http://127.0.0.1:${PORT[$1]}" bench/big "$2" "$3" "$4" 16
}

put_small() { # WHO REPO FILE: a whole blob in POST + PUT
  local d loc
  d=sha256:$(sha256sum "$3" | cut -d' ' -f1)
  loc=$(start_upload "$1" "$2")
  curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$3" -o /dev/null "$(with_digest "$loc" "$d")"
  echo "$d"
}

MANIFEST_ACCEPT='application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json'

push_image() { # WHO: the same image (2 layers) to both, under 20 tags, for the load phase
  local cfg l1 l2 t
  cfg=$(put_small "$1" bench/app "$WORK/config.json")
  l1=$(put_small "$1" bench/app "$WORK/layer1")
  l2=$(put_small "$1" bench/app "$WORK/layer2")
  LAYER_DIGEST=$l1
  printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":"%s"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":65536,"digest":"%s"},{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":8192,"digest":"%s"}]}' \
    "$(stat -c %s "$WORK/config.json")" "$cfg" "$l1" "$l2" >"$WORK/manifest.json"
  for t in latest $(seq -f 'v1.%g' 1 19); do
    curl -sf -X PUT -H 'Content-Type: application/vnd.docker.distribution.manifest.v2+json' \
      --data-binary @"$WORK/manifest.json" -o /dev/null "http://127.0.0.1:${PORT[$1]}/v2/bench/app/manifests/$t"
  done
}

# hey_run WHO NAME SECONDS URL [hey options]: records requests/s, p50 and p99 in ms, and errors (not 2xx, or failed)
hey_run() {
  local who=$1 name=$2 seconds=$3 url=$4 out
  shift 4
  out=$(hey -z "${seconds}s" -c 64 "$@" "$url")
  record "$who" "$name.rps" "$(awk '/Requests\/sec:/{printf "%.0f", $2}' <<<"$out")"
  record "$who" "$name.p50" "$(awk '$1=="50%" && $2=="in" {printf "%.1f", $3 * 1000}' <<<"$out")"
  record "$who" "$name.p99" "$(awk '$1=="99%" && $2=="in" {printf "%.1f", $3 * 1000}' <<<"$out")"
  record "$who" "$name.errors" "$(awk '/^Status code distribution:/{s=1; e=0; next} /^Error distribution:/{e=1; s=0; next}
    s && /\[[0-9]+\]/ {code=substr($1, 2, 3); if (code !~ /^2/) n+=$2}
    e && /\[[0-9]+\]/ {gsub(/[\[\]]/, "", $1); n+=$1}
    END{print n+0}' <<<"$out")"
}

load_phase() { # WHO SECONDS
  local base="http://127.0.0.1:${PORT[$1]}/v2/bench/app"
  hey_run "$1" manifest "$2" "$base/manifests/latest" -H "Accept: $MANIFEST_ACCEPT"
  hey_run "$1" head "$2" "$base/blobs/$LAYER_DIGEST" -m HEAD
  hey_run "$1" tags "$2" "$base/tags/list"
}

small_phase() { # WHO COUNT REPO
  local out
  out=$("$JAVA" "$BENCH/SmallPushes.java" "http://127.0.0.1:${PORT[$1]}" "$3" "$2" 16 4096)
  read -r rate errors <<<"$out"
  echo "$rate $errors"
}

echo "work directory $WORK ($(df -h --output=source,fstype "$WORK" | tail -1)); $(nproc) cores; Berth JVM: $JAVA_OPTS"

# 6. Start-up, five times each, alternating; the last start of each stays up for the rest.
for i in 1 2 3 4 5; do
  for who in berth dist; do
    start "$who"
    record "$who" startup "$STARTUP_MS"
    [ $i -lt 5 ] && stop "$who"
  done
done

echo "warming up both the same way..."
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' >"$WORK/config.json"
head -c 65536 /dev/urandom >"$WORK/layer1"
head -c 8192 /dev/urandom >"$WORK/layer2"
head -c "$((BIG_MIB * 1024 * 1024))" /dev/urandom >"$WORK/big"
for who in berth dist; do
  push_image "$who"
  # The JIT compiles the upload path over several: Berth's first runs at half speed, its sixth at full.
  for form in mono chunked mono chunked mono chunked; do
    printf 'warm %s' "$RANDOM" | dd of="$WORK/big" conv=notrunc status=none
    upload "$who" "$WORK/big" "sha256:$(sha256sum "$WORK/big" | cut -d' ' -f1)" $form >/dev/null
  done
  curl -sf -o /dev/null "http://127.0.0.1:${PORT[$who]}/v2/bench/big/blobs/sha256:$(sha256sum "$WORK/big" | cut -d' ' -f1)"
  # The JIT compiles the push path over several thousand pushes (Berth's CPU per push falls threefold), and a
  # registry runs for days: measure it warm. Distribution, compiled ahead, is warmed the same.
  small_phase "$who" "$WARM_SMALL" bench/warm >/dev/null
  load_phase "$who" 3 >/dev/null
done
: >"$WORK/results.warm"; mv "$WORK/results" "$WORK/results.warm" 2>/dev/null || true
grep ' startup ' "$WORK/results.warm" >"$WORK/results"

order=(berth dist)
for round in $(seq "$ROUNDS"); do
  echo "round $round of $ROUNDS: ${order[*]}"
  # A fresh blob per round and upload form, so no upload finds its blob already stored.
  for form in mono chunked; do
    printf 'round %s %s' "$round" "$form" | dd of="$WORK/big" conv=notrunc status=none
    cp "$WORK/big" "$WORK/big.$form"
    echo "sha256:$(sha256sum "$WORK/big.$form" | cut -d' ' -f1)" >"$WORK/digest.$form"
  done
  # The disk's limit for a durable upload, under the same load: this VM's disk takes a few GB at 1 GB/s and more,
  # then far less, so a figure from a quiet machine would mislead.
  sync; t=$(now_ns)
  dd if="$WORK/big.mono" of="$WORK/disk.probe" bs=1M conv=fdatasync status=none
  record disk disk.write "$(rate "$t")"
  rm -f "$WORK/disk.probe"
  for who in "${order[@]}"; do
    for form in mono chunked; do
      sync; phase_begin
      record "$who" "upload.$form" "$(upload "$who" "$WORK/big.$form" "$(cat "$WORK/digest.$form")" "$form")"
      phase_end "upload.$form"
    done

    url="http://127.0.0.1:${PORT[$who]}/v2/bench/big/blobs/$(cat "$WORK/digest.mono")"
    got=sha256:$(curl -sf "$url" | sha256sum | cut -d' ' -f1)
    [ "$got" = "$(cat "$WORK/digest.mono")" ] || { echo "$who served other bytes: $got" >&2; exit 1; }
    phase_begin
    t=$(now_ns); curl -sf -o /dev/null "$url"
    record "$who" download "$(rate "$t")"
    last=$((BIG_MIB * 1024 * 1024 - 1048576))
    record "$who" range.last "$(for _ in $(seq 21); do curl -sf -o /dev/null -r "$last-" -w '%{time_total}\n' "$url"; done \
      | median | awk '{printf "%.2f", $1 * 1000}')"
    phase_end download

    phase_begin
    load_phase "$who" "$LOAD_SECONDS"
    phase_end load

    phase_begin
    read -r rate errors <<<"$(small_phase "$who" "$SMALL_COUNT" "bench/small$round")"
    record "$who" small.rate "$rate"
    record "$who" small.errors "$errors"
    phase_end small
  done
  order=("${order[1]}" "${order[0]}")
done

value() { # WHO FIGURE [median|max|sum]
  local agg=${3:-median}
  awk -v w="$1" -v f="$2" '$1==w && $2==f {print $3}' "$WORK/results" | case $agg in
    median) median ;;
    max) sort -g | tail -1 ;;
    sum) awk '{s+=$1} END{print s+0}' ;;
  esac
}

row() { # LABEL FIGURE UNIT BETTER(higher|lower) TARGET-TEXT [AGG]
  local b d ratio
  b=$(value berth "$2" "${6:-median}")
  d=$(value dist "$2" "${6:-median}")
  ratio=$(awk -v b="$b" -v d="$d" 'BEGIN{ if (d == 0) print "-"; else printf "%.2f", b / d }')
  printf '| %s | %s %s | %s %s | %s | %s |\n' "$1" "$b" "$3" "$d" "$3" "$ratio" "$5"
}

echo
echo "Berth vs distribution 2.8.2; $ROUNDS rounds, $(nproc) cores, $(uname -r); Berth JVM: $JAVA_OPTS"
echo
echo "| figure | Berth | distribution | Berth/distribution | target |"
echo "|---|---|---|---|---|"
row "upload ${BIG_MIB} MiB, monolithic" upload.mono MiB/s higher "≥ 3"
row "upload ${BIG_MIB} MiB, chunked (16 MiB PATCHes)" upload.chunked MiB/s higher "≥ 3"
row "download ${BIG_MIB} MiB" download MiB/s higher "≥ 1.0"
row "ranged read of the last MiB" range.last ms lower "-"
for f in manifest:"manifest GET by tag" head:"blob HEAD" tags:"tags list"; do
  name=${f%%:*}; label=${f#*:}
  row "$label, 64 clients" "$name.rps" req/s higher "≥ 8"
  row "$label, p50" "$name.p50" ms lower "-"
  row "$label, p99" "$name.p99" ms lower "≤ 0.1"
  row "$label, errors" "$name.errors" "" lower "0" sum
done
row "$SMALL_COUNT pushes of 4 KiB blobs, 16 at once" small.rate blobs/s higher "≥ 4"
row "small pushes, errors" small.errors "" lower "0" sum
row "start to first 200 on /v2/" startup ms lower "-"
for p in upload.mono upload.chunked download load small; do
  row "peak resident memory, $p" "rss.$p" MB lower "Berth ≤ 200 MB" max
  row "CPU seconds, $p" "cpu.$p" s lower "-"
done
echo
echo "The disk, each round before the uploads: $BIG_MIB MiB written by dd with fdatasync at $(value disk disk.write median) MiB/s"
echo "(median), the most a durable upload can reach. Berth's uploads are durable when answered; distribution's are not."
