#!/usr/bin/env bash
# Crash demonstration (not a test, not a benchmark): the same SIGKILL loop against Berth and against the
# reference registry (CNCF distribution 2.8.2, Debian's docker-registry), counting acknowledged tags that a
# kill lost or damaged. CrashConsistencyTest is the test; this shows the difference side by side.
#
#   conformance/bench/crash-compare.sh [ROUNDS] [WRITERS] [TAGS_PER_WRITER]
#
# Per registry: push one config and one layer, then ROUNDS times: WRITERS curl loops re-point their own tags
# (PUT /v2/crash/app/manifests/t<N>, a new manifest each time), SIGKILL the server 0.3-1.3 s later, restart
# it on the same storage and GET every tag. Each tag is written by one loop only, one PUT at a time, so
# "the last acknowledged manifest" is well defined. A tag is
#   ok       when it resolves to its last acknowledged manifest, or to the one whose PUT was in flight;
#   lost     when it had an acknowledged manifest and now answers 404 or another 4xx;
#   damaged  when it answers 5xx, or bytes that hash to a manifest never pushed to it;
#   stale    when it resolves to an older acknowledged manifest (an acknowledged re-point undone).
# SIGKILL keeps the page cache: this shows torn or empty files, not lost fsyncs (no power loss here).
# Needs: a built server/target/berth.jar (./berth build), docker-registry, curl, python3. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-20}
WRITERS=${2:-6}
TAGS_PER_WRITER=${3:-2}
TAGS=$((WRITERS * TAGS_PER_WRITER))
JAR=server/target/berth.jar
[ -f "$JAR" ] || { echo "build first: ./berth build" >&2; exit 1; }
command -v docker-registry >/dev/null || { echo "needs docker-registry (Debian package)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "needs python3 (to find free ports)" >&2; exit 1; }
JAVA=$(./berth java-home 2>/dev/null || true)/bin/java
[ -x "$JAVA" ] || JAVA=$(ls -d /usr/lib/jvm/*25* /usr/lib/jvm/*21* 2>/dev/null | head -1)/bin/java
JAR=$(realpath "$JAR")

WORK=$(mktemp -d /tmp/berth-crash.XXXXXX)
SERVER_PID=""
WRITER_PIDS=()
cleanup() {
  local p
  for p in "${WRITER_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

MT=application/vnd.oci.image.manifest.v1+json
REPO=crash/app

# start_server WHO: starts it on its storage under $WORK/$WHO with a new port; sets SERVER_PID and BASE
start_server() {
  local who=$1 port
  port=$(free_port)
  BASE=http://127.0.0.1:$port
  if [ "$who" = berth ]; then
    BERTH_HTTP_ADDR=127.0.0.1:$port BERTH_STORAGE_FILESYSTEM_ROOT=$WORK/$who/data BERTH_LOG_LEVEL=warn \
      "$JAVA" -Xmx128m -jar "$JAR" >>"$WORK/$who/server.log" 2>&1 &
  else
    cat >"$WORK/$who/config.yml" <<YML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $WORK/$who/data}}
http: {addr: 127.0.0.1:$port}
YML
    docker-registry serve "$WORK/$who/config.yml" >>"$WORK/$who/server.log" 2>&1 &
  fi
  SERVER_PID=$!
  for _ in $(seq 300); do
    curl -sf "$BASE/v2/" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "$who did not start; its log:" >&2; cat "$WORK/$who/server.log" >&2; exit 1
}

# put_blob FILE: POST then PUT ?digest= with the body (both registries accept it)
put_blob() {
  local loc d sep
  d=sha256:$(sha256sum "$1" | cut -d' ' -f1)
  loc=$(curl -sf -X POST -D - -o /dev/null "$BASE/v2/$REPO/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case "$loc" in http*) ;; *) loc=$BASE$loc ;; esac
  case "$loc" in *\?*) sep='&' ;; *) sep='?' ;; esac
  curl -sf -X PUT -o /dev/null -H 'Content-Type: application/octet-stream' --data-binary @"$1" "$loc${sep}digest=$d"
}

# writer WHO ROUND W: re-points tags W, W+WRITERS, ... until the server is gone. Logs "send TAG DIGEST"
# before each PUT and "ack TAG DIGEST" after a 201, so the last send without an ack was in flight.
writer() {
  local who=$1 round=$2 w=$3 seq=0 tag d code f ledger=$WORK/$who/ledger.$2.$3
  f=$WORK/$who/manifest.$w
  : >"$ledger"
  while :; do
    seq=$((seq + 1))
    tag=t$(( w + WRITERS * (seq % TAGS_PER_WRITER) ))
    printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}],"annotations":{"crash":"%s round %s writer %s seq %s"}}' \
      "$MT" "$CONFIG_DIGEST" "$CONFIG_SIZE" "$LAYER_DIGEST" "$LAYER_SIZE" "$who" "$round" "$w" "$seq" >"$f"
    d=sha256:$(sha256sum "$f" | cut -d' ' -f1)
    echo "send $tag $d" >>"$ledger"
    code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Content-Type: $MT" --data-binary @"$f" \
      "$BASE/v2/$REPO/manifests/$tag" || true)
    case "$code" in
      201) echo "ack $tag $d" >>"$ledger" ;;
      000) return 0 ;; # the server is gone: this PUT was in flight
      *) echo "error $code $tag $d" >>"$ledger"; echo "$who: PUT $tag answered $code" >>"$WORK/$who/errors" ;;
    esac
  done
}

# check WHO ROUND: compares every tag with the ledgers; updates $WORK/$WHO/state/<tag> (the tag's baseline)
check() {
  local who=$1 round=$2 t tag cur allowed lastack observed code body
  body=$WORK/$who/body
  for t in $(seq 0 $((TAGS - 1))); do
    tag=t$t
    cur=$(cat "$WORK/$who/state/$tag" 2>/dev/null || true)
    # this round's sends and acks for the tag, in order (one writer per tag)
    lastack=$(cat "$WORK/$who"/ledger."$round".* | awk -v t="$tag" '$1=="ack" && $2==t {d=$3} END {print d}')
    [ -n "$lastack" ] && cur=$lastack
    allowed=" $cur $(cat "$WORK/$who"/ledger."$round".* | awk -v t="$tag" '
      $2==t && $1=="send" {s[++n]=$3} $2==t && $1=="ack" {n=0} END {for (i=1;i<=n;i++) printf "%s ", s[i]}')"
    code=$(curl -s -o "$body" -w '%{http_code}' -H "Accept: $MT" "$BASE/v2/$REPO/manifests/$tag" || echo 000)
    observed=""
    [ "$code" = 200 ] && observed=sha256:$(sha256sum "$body" | cut -d' ' -f1)
    if [ "$code" = 200 ] && [[ "$allowed" == *" $observed "* ]]; then
      echo ok >>"$WORK/$who/results"
      [ "$observed" != "$cur" ] && echo inflight-applied >>"$WORK/$who/results"
      echo "$observed" >"$WORK/$who/state/$tag"
    elif [ "$code" = 404 ] && [ -z "$cur" ]; then
      echo ok >>"$WORK/$who/results" # never acknowledged, in-flight PUT not applied
    else
      local kind link
      if [ "$code" = 200 ] && grep -rqs -- "$observed" "$WORK/$who"/ledger.*; then kind=stale
      elif [ "$code" = 200 ] || [ "${code:0:1}" = 5 ] || [ "$code" = 000 ]; then kind=damaged
      else kind=lost
      fi
      echo "$kind" >>"$WORK/$who/results"
      # distribution: tags/<tag>/current/link; Berth: tags/<tag>
      link=$(find "$WORK/$who/data" \( -path "*/_manifests/tags/$tag/current/link" -o -path "*/_manifests/tags/$tag" -type f \) | head -1)
      printf '  %-5s round %2d tag %-4s %-7s GET -> %s %s; link file: %s bytes "%s"; last acknowledged %s\n' \
        "$who" "$round" "$tag" "$kind" "$code" "$(head -c 200 "$body" | tr -d '\n')" \
        "$( [ -n "$link" ] && stat -c %s "$link" || echo none)" "$( [ -n "$link" ] && head -c 80 "$link")" \
        "${cur:-none}" >>"$WORK/$who/report"
      # the tag's baseline is now whatever the registry shows (nothing, if it lost it)
      if [ "$code" = 200 ]; then echo "$observed" >"$WORK/$who/state/$tag"; else rm -f "$WORK/$who/state/$tag"; fi
    fi
  done
  code=$(curl -s -o "$body" -w '%{http_code}' "$BASE/v2/$REPO/tags/list" || echo 000)
  if [ "$code" != 200 ] || ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$body" 2>/dev/null; then
    echo "  $who round $round: tags/list answered $code $(head -c 200 "$body")" >>"$WORK/$who/report"
    echo taglist-broken >>"$WORK/$who/results"
  fi
}

run() {
  local who=$1 round w ms
  mkdir -p "$WORK/$who/state"
  : >"$WORK/$who/results"; : >"$WORK/$who/report"; : >"$WORK/$who/errors"
  start_server "$who"
  put_blob "$WORK/config.json"
  put_blob "$WORK/layer"
  for round in $(seq "$ROUNDS"); do
    WRITER_PIDS=()
    for w in $(seq 0 $((WRITERS - 1))); do
      writer "$who" "$round" "$w" &
      WRITER_PIDS+=($!)
    done
    ms=$((300 + RANDOM % 1000))
    sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
    kill -9 "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    for w in "${WRITER_PIDS[@]}"; do wait "$w" || true; done
    WRITER_PIDS=()
    start_server "$who"
    check "$who" "$round"
    printf '\r%s: round %d/%d' "$who" "$round" "$ROUNDS" >&2
  done
  echo >&2
  kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}

printf '{"architecture":"amd64","os":"linux"}' >"$WORK/config.json"
head -c 4096 /dev/urandom >"$WORK/layer"
CONFIG_DIGEST=sha256:$(sha256sum "$WORK/config.json" | cut -d' ' -f1)
CONFIG_SIZE=$(stat -c %s "$WORK/config.json")
LAYER_DIGEST=sha256:$(sha256sum "$WORK/layer" | cut -d' ' -f1)
LAYER_SIZE=$(stat -c %s "$WORK/layer")

for who in berth dist; do run "$who"; done

count() { grep -cx "$2" "$WORK/$1/results" || true; }
acks() { cat "$WORK/$1"/ledger.* | grep -c '^ack ' || true; }
echo
echo "$ROUNDS SIGKILL rounds, $WRITERS writers, $TAGS tags, each tag checked after every restart"
printf '%-14s %10s %10s %8s %8s %8s %8s %10s %12s\n' registry "tag PUTs" "tag checks" ok lost damaged stale "in-flight" "PUT errors"
printf '%-14s %10s %10s %8s %8s %8s %8s %10s %12s\n' "" acked "" "" "" "" "" applied ""
for who in berth dist; do
  name=$who; [ $who = dist ] && name=distribution
  printf '%-14s %10d %10d %8d %8d %8d %8d %10d %12d\n' "$name" "$(acks $who)" $((ROUNDS * TAGS)) \
    "$(count $who ok)" "$(count $who lost)" "$(count $who damaged)" "$(count $who stale)" \
    "$(count $who inflight-applied)" "$(wc -l <"$WORK/$who/errors")"
done
for who in berth dist; do
  if [ -s "$WORK/$who/report" ]; then echo; echo "$who, tags lost or damaged:"; cat "$WORK/$who/report"; fi
  if [ -s "$WORK/$who/errors" ]; then echo; echo "$who, PUTs refused while running:"; sort "$WORK/$who/errors" | uniq -c | head; fi
done
