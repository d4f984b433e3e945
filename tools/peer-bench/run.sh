#!/usr/bin/env bash
# riskgraph beside the @neo4j/graphql peer on riskgraph's own Neo4j model, same database, same data:
# start Neo4j 5.26 (harness), load it with `riskgraph synth` (timed), sample vendor ids, start
# riskgraph and peer/server-rg.mjs, check both answer alike (peer/check-rg.mjs), then load-run each
# query interleaved (warm-up both, then peer, riskgraph, peer, riskgraph) and finally time the
# peer's own loader (peer/load-data.mjs) into a second, empty Neo4j. Prints JSON lines; cleans up.
# env: ENTITIES RELATIONSHIPS SECS WARM QUERIES HEAVY(=queries also run at 50 connections)
#      RISKGRAPH_SRC (default: the git checkout you run it from) or RISKGRAPH_BIN, PAGECACHE_MB, HEAP, PEER_VENDORS, PEER_LOAD
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
# Build and install into a writable copy (../shared may be read-only); sources are refreshed each run.
here=${PEER_BENCH_DIR:-$HOME/.cache/riskgraph-peer-bench}
mkdir -p "$here/peer" "$here/neo4j-server"
cp -r "$src/peer/." "$here/peer/"; cp -r "$src/neo4j-server/." "$here/neo4j-server/"
ENT=${ENTITIES:-100000}; RELS=${RELATIONSHIPS:-500000}; SECS=${SECS:-15}; WARM=${WARM:-10}
QUERIES=${QUERIES:-point nested3 list20 list20id search exposure4}; HEAVY=${HEAVY:-point nested3}
PC=${PAGECACHE_MB:-1024}; HEAP=${HEAP:-3g}; PV=${PEER_VENDORS:-$((RELS / 20))}
PORT_A=7702; PORT_B=7703; RGPORT=8089; PEERPORT=4001
work=$(mktemp -d -t peer-rg.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do for _ in $(seq 60); do kill -0 "$p" 2>/dev/null || break; sleep 1; done; done
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "{\"step\":\"$1\",$2}"; }

( cd "$here/neo4j-server" && { [ -d target/lib ] || mvn -q -B package -DskipTests; } && mvn -q -B -o compile )
( cd "$here/peer" && { [ -d node_modules ] || npm install --no-audit --no-fund >/dev/null; } )
RG=${RISKGRAPH_BIN:-}
if [ -z "$RG" ]; then ( cd "${RISKGRAPH_SRC:-$(git -C "$PWD" rev-parse --show-toplevel)}" && go build -o "$work/riskgraph" . ); RG=$work/riskgraph; fi

# start_neo NAME PORT: a harness Neo4j with its db in $work/NAME; stops when its stdin holder dies.
start_neo() {
  mkfifo "$work/$1.in"; sleep 100000 >"$work/$1.in" & pids+=($!); eval "hold_$1=$!"
  java -Xms$HEAP -Xmx$HEAP -XX:+UseG1GC -Dbench.pagecache.mb=$PC --add-opens java.base/java.nio=ALL-UNNAMED \
    --add-opens java.base/java.io=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED -Dio.netty.tryReflectionSetAccessible=true \
    -cp "$here/neo4j-server/target/classes:$here/neo4j-server/target/lib/*" bench.Main "$work/$1" "$2" <"$work/$1.in" >"$work/$1.log" 2>&1 &
  pids+=($!); eval "neo_$1=$!"
  for _ in $(seq 120); do grep -q READY "$work/$1.log" && return 0; sleep 1; done; echo "neo4j $1 did not start" >&2; cat "$work/$1.log" >&2; exit 1
}
stop_neo() { local h n; eval "h=\$hold_$1 n=\$neo_$1"; kill "$h"; for _ in $(seq 60); do kill -0 "$n" 2>/dev/null || return 0; sleep 1; done; kill "$n"; }
cy() { NEO4J_URI=bolt://127.0.0.1:$1 node "$here/peer/cypher.mjs" "${@:2}"; }
now() { date +%s.%N; }
# CPU jiffies: the whole machine's busy time, and ours (the given pids).
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
mine() { local s=0 p; for p in "$@"; do [ -r /proc/$p/stat ] && s=$((s + $(awk '{print $14+$15+$16+$17}' /proc/$p/stat))); done; echo $s; }

# 1. riskgraph loads its synthetic graph into an empty Neo4j.
start_neo a $PORT_A
t0=$(now)
"$RG" synth --store neo4j --neo4j-uri bolt://127.0.0.1:$PORT_A --entities "$ENT" --relationships "$RELS" >"$work/synth.out" 2>"$work/synth.err"
t1=$(now)
log ingest "\"who\":\"riskgraph synth\",\"entities\":$ENT,\"wall_s\":$(echo "$t1 - $t0" | bc),\"out\":\"$(tr -d '\n' <"$work/synth.out")\",\"log\":\"$(grep 'synthetic graph written' "$work/synth.err" | sed 's/"//g' | tr -d '\n')\""
cy $PORT_A "MATCH (n) RETURN labels(n) AS labels, count(*) AS n ORDER BY n DESC" "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n ORDER BY n DESC" | sed 's/^/{"step":"counts","row":/; s/$/}/'
today=$(date -u +%Y%m%d)
cy $PORT_A "MATCH (n:Vendor) WHERE n.validFrom <= $today AND n.validTo > $today RETURN n.id AS id, n.name AS name ORDER BY n.id" |
  python3 -c 'import sys, json; [print(d["id"] + "\t" + d["name"]) for d in map(json.loads, sys.stdin)]' >"$work/ids.tsv"
log ids "\"vendors\":$(wc -l <"$work/ids.tsv")"
expid=$(cy $PORT_A "MATCH (:Signal {dimension: 'FOREIGN_INFLUENCE'})<-[:HAS_SIGNAL]-(e)<-[:OWNED_BY|CONTROLLED_BY]-(v:Vendor) RETURN v.id AS id ORDER BY id LIMIT 1" | python3 -c 'import sys, json; l = sys.stdin.readline(); print(json.loads(l)["id"] if l else "")')
[ -n "$expid" ] || expid=$(head -1 "$work/ids.tsv" | cut -f1)

# 2. Both servers over the same database. riskgraph runs with its default limits (the nested3 query
# with complete pages costs 97,006, under the default 100,000) except the per-caller rate limit:
# every request of the load generator comes from one address, which the default 50/s would cap,
# and the peer has no such limit.
"$RG" --store neo4j --neo4j-uri bolt://127.0.0.1:$PORT_A --addr 127.0.0.1:$RGPORT --seed=false --rate-limit 0 --log-level warn >"$work/rg.log" 2>&1 &
rg=$!; pids+=($rg)
NEO4J_URI=bolt://127.0.0.1:$PORT_A PORT=$PEERPORT node "$here/peer/server-rg.mjs" >"$work/peer.log" 2>&1 &
peer=$!; pids+=($peer)
for _ in $(seq 60); do curl -fsS http://127.0.0.1:$RGPORT/healthz >/dev/null 2>&1 && grep -q READY "$work/peer.log" && break; sleep 1; done
PEER=http://127.0.0.1:$PEERPORT/ RGURL=http://127.0.0.1:$RGPORT/graphql
export IDS=$work/ids.tsv
showid=$(awk -F"\t" 'NR == 1235 || NR == 1 {id = $1} END {print id}' "$IDS")
node "$here/peer/check-rg.mjs" $PEER $RGURL "$showid" "$expid" | sed 's/^/# /' || echo '{"step":"check","failed":true}'

# 3. Interleaved load runs. drain: wait until Neo4j runs nothing (a request the load generator gave
# up on may still run there), at most 30 s, then terminate what is left.
drain() {
  local n=0 t=$(now)
  for _ in $(seq 30); do
    n=$(cy $PORT_A "SHOW TRANSACTIONS YIELD currentQuery WHERE NOT currentQuery STARTS WITH 'SHOW' RETURN count(*) AS n" | python3 -c 'import sys, json; print(json.loads(sys.stdin.readline())["n"])')
    [ "$n" = 0 ] && break; sleep 1
  done
  [ "$n" = 0 ] || cy $PORT_A "SHOW TRANSACTIONS YIELD transactionId, currentQuery WHERE NOT currentQuery STARTS WITH 'SHOW' TERMINATE TRANSACTIONS transactionId" >/dev/null 2>&1 || true
  echo "\"drain_s\":$(printf %.1f "$(echo "$(now) - $t" | bc)"),\"left_terminated\":$n"
}
one() { # one WHO URL FILE QUERY SECS CONNS ROUND
  local b0 m0 b1 m1 out d
  d=$(drain); b0=$(busy); m0=$(mine $neo_a $peer $rg)
  out=$(QUERY=$4 node "$here/peer/run.mjs" "$2" "$3" "$5" "$6")
  b1=$(busy); m1=$(mine $neo_a $peer $rg)
  # other_cpu_s: CPU the rest of the machine used meanwhile (load generator included), in cores·s.
  echo "{\"step\":\"run\",\"who\":\"$1\",\"round\":\"$7\",$d,\"servers_cpu_s\":$(awk "BEGIN {printf \"%.1f\", ($m1 - $m0) / 100}"),\"other_cpu_s\":$(awk "BEGIN {printf \"%.1f\", ($b1 - $b0 - $m1 + $m0) / 100}"),${out#\{}"
}
for conns in 10 50; do
  qs=$QUERIES; [ $conns = 50 ] && qs=$HEAVY
  for q in $qs; do
    one peer $PEER "$here/peer/queries-peer-rg.json" $q $WARM $conns warmup
    one riskgraph $RGURL "$here/peer/queries-riskgraph.json" $q $WARM $conns warmup
    for r in 1 2; do
      one peer $PEER "$here/peer/queries-peer-rg.json" $q $SECS $conns $r
      one riskgraph $RGURL "$here/peer/queries-riskgraph.json" $q $SECS $conns $r
    done
  done
done
log rglog "\"lines\":$(wc -l <"$work/rg.log"),\"tail\":$(tail -c 1500 "$work/rg.log" | python3 -c 'import sys, json; print(json.dumps(sys.stdin.read()))')"
log rss "\"riskgraph_kb\":$(awk '/VmHWM/{print $2}' /proc/$rg/status),\"peer_kb\":$(awk '/VmHWM/{print $2}' /proc/$peer/status),\"neo4j_kb\":$(awk '/VmHWM/{print $2}' /proc/$neo_a/status)"
kill $rg $peer; stop_neo a

# 4. The peer's loader (UNWIND+MERGE, JS driver) into a second empty Neo4j, about as many relationships.
if [ "${PEER_LOAD:-1}" = 1 ]; then
  start_neo b $PORT_B
  t0=$(now)
  out=$(NEO4J_URI=bolt://127.0.0.1:$PORT_B node "$here/peer/load-data.mjs" "$PV")
  log ingest "\"who\":\"peer load-data.mjs\",\"vendors\":$PV,\"wall_s\":$(echo "$(now) - $t0" | bc),\"out\":\"$out\""
  stop_neo b
fi
