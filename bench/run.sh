#!/usr/bin/env bash
# npm run bench: measures RelayDesk's mixed port (SOCKS5 path) with the shared harness, next to
# dante and the plain Node SOCKS5 baseline in the same run, and prints the ratios.
#
#   bash bench/run.sh [--quick] [--runs N] [--peers "dante node-socks5"] [--no-js] [--vless]
#
# --vless adds the VLESS chains (SOCKS5 in -> VLESS/TCP|TLS|WS out -> our relay -> direct, both
# hops in one RelayDesk process) next to the same chains built from two v2ray processes.
# Each run starts a fresh engine (the idle-memory figure is only valid on a fresh process),
# with the native splice path (default) and, unless --no-js, with RELAYDESK_NATIVE=0 (the JS path).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HARNESS=${BENCH_HARNESS:-$ROOT/../shared/bench}
RUNS=3 QUICK=() PEERS="dante node-socks5" JS=1 VLESS=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=(--quick); RUNS=1; shift ;;
    --runs) RUNS=$2; shift 2 ;;
    --peers) PEERS=$2; shift 2 ;;
    --no-js) JS=0; shift ;;
    --vless) VLESS=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -d $HARNESS ]] || { echo "bench harness not found at $HARNESS (set BENCH_HARNESS)" >&2; exit 2; }

need=()
for bin in nginx:nginx iperf3:iperf3 danted:dante-server ss:iproute2 v2ray:v2ray openssl:openssl; do
  command -v "${bin%%:*}" >/dev/null 2>&1 || need+=("${bin#*:}")
done
if ((${#need[@]})); then
  if [[ $(id -u) == 0 ]]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
  else echo "missing: ${need[*]} (apt-get install them)" >&2; exit 2; fi
fi
[[ -f $ROOT/dist/cli.js ]] || (cd "$ROOT" && npm run build)

export BENCH_RUN_DIR=${BENCH_RUN_DIR:-$ROOT/bench-out/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$BENCH_RUN_DIR"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
PORT=19160
mkdir -p "$BENCH_RUN_DIR/data"
trap 'rm -rf "$BENCH_RUN_DIR/data"' EXIT
CONF=$BENCH_RUN_DIR/relaydesk.json
cat >"$CONF" <<JSON
{ "version": 1, "prune": true, "settings": { "logLevel": "warn", "route": { "mode": "direct" } },
  "instances": [{ "name": "bench", "spec": { "type": "mixed", "listen": "127.0.0.1:$PORT", "udp": false } }] }
JSON

vless_conf() { # transport(tcp|tls|ws) -> two config files (client engine, relay engine), space-separated
  local t=$1 c=$BENCH_RUN_DIR/relaydesk-vless-$1-client.json r=$BENCH_RUN_DIR/relaydesk-vless-$1-relay.json
  local uuid=2b0d8c6a-4c8e-4d8e-9f7a-0c6a3f1e5b11 transport='{"type":"tcp"}' tls=null ptls=null
  [[ $t == ws ]] && transport='{"type":"ws","path":"/ws"}'
  [[ $t == tls ]] && tls='{"selfSignedNames":["localhost"]}' ptls='{"sni":"localhost","insecure":true}'
  # Two processes like v2ray's chain: a relay routing its traffic through itself would loop.
  cat >"$c" <<JSON
{ "version": 1, "prune": true,
  "profiles": [{ "id": "relay", "name": "relay", "spec": { "type": "vless", "host": "127.0.0.1", "port": $((PORT + 1)),
      "uuid": "$uuid", "transport": $transport, "tls": $ptls, "udp": false } }],
  "settings": { "logLevel": "warn", "route": { "mode": "global", "globalOutbound": "relay", "lanBypass": false } },
  "instances": [{ "name": "in", "spec": { "type": "mixed", "listen": "127.0.0.1:$PORT", "udp": false } }] }
JSON
  cat >"$r" <<JSON
{ "version": 1, "prune": true, "settings": { "logLevel": "warn", "route": { "mode": "direct" } },
  "instances": [{ "name": "relay", "spec": { "type": "vless", "listen": "127.0.0.1:$((PORT + 1))", "transport": $transport,
      "tls": $tls, "fallback": "none", "users": [{ "name": "bench", "uuid": "$uuid" }] } }] }
JSON
  echo "$c $r"
}

start_engine() { # native config log -> pid
  local data
  data=$(mktemp -d -p "$BENCH_RUN_DIR/data")
  RELAYDESK_NATIVE=$1 node "$ROOT/dist/cli.js" serve --data-dir "$data" --listen 127.0.0.1:0 \
    --config "$2" --log-level warn >"$3" 2>&1 &
  echo $!
}

wait_listen() { for _ in $(seq 100); do ss -Hltn "sport = :$1" | grep -q . && return 0; sleep 0.1; done; return 1; }

measure() { # name native(1|0) run-no [config [relay-config]]
  local name=$1 native=$2 r=$3 conf=${4:-$CONF} relay=${5:-} pids
  pids=$(start_engine "$native" "$conf" "$BENCH_RUN_DIR/$name-$r.log")
  if [[ -n $relay ]]; then
    pids+=,$(start_engine "$native" "$relay" "$BENCH_RUN_DIR/$name-relay-$r.log")
    wait_listen $((PORT + 1))
  fi
  wait_listen $PORT
  bash "$HARNESS/run.sh" socks5 127.0.0.1:$PORT --name "$name" --pids "$pids" --runs 1 --run-no "$r" "${QUICK[@]}" || true
  kill -TERM ${pids//,/ } 2>/dev/null; wait ${pids//,/ } 2>/dev/null || true
}

for ((r = 1; r <= RUNS; r++)); do
  measure relaydesk 1 "$r"
  [[ $JS == 1 ]] && measure relaydesk-js 0 "$r"
  if [[ $VLESS == 1 ]]; then
    # shellcheck disable=SC2046
    for t in tcp tls ws; do measure "relaydesk-vless-$t" 1 "$r" $(vless_conf $t); done
  fi
done
[[ $VLESS == 1 ]] && PEERS+=" v2ray-vless-tcp v2ray-vless-tls v2ray-vless-ws"
# shellcheck disable=SC2086
bash "$HARNESS/suite.sh" --runs "$RUNS" "${QUICK[@]}" $PEERS

node "$HARNESS/tools/report.js" "$BENCH_RUN_DIR"/results/*.jsonl | tee "$BENCH_RUN_DIR/report.md"
node "$ROOT/bench/ratios.js" "$BENCH_RUN_DIR"/results/*.jsonl | tee -a "$BENCH_RUN_DIR/report.md"
