#!/usr/bin/env bash
# npm run bench: measures RelayDesk's mixed port (SOCKS5 path) with the shared harness, next to
# dante and the plain Node SOCKS5 baseline in the same run, and prints the ratios.
#
#   bash bench/run.sh [--quick] [--runs N] [--peers "dante node-socks5"] [--no-js]
#
# Each run starts a fresh engine (the idle-memory figure is only valid on a fresh process),
# with the native splice path (default) and, unless --no-js, with RELAYDESK_NATIVE=0 (the JS path).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HARNESS=${BENCH_HARNESS:-$ROOT/../shared/bench}
RUNS=3 QUICK=() PEERS="dante node-socks5" JS=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=(--quick); RUNS=1; shift ;;
    --runs) RUNS=$2; shift 2 ;;
    --peers) PEERS=$2; shift 2 ;;
    --no-js) JS=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -d $HARNESS ]] || { echo "bench harness not found at $HARNESS (set BENCH_HARNESS)" >&2; exit 2; }

need=()
for bin in nginx:nginx iperf3:iperf3 danted:dante-server ss:iproute2; do
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
CONF=$BENCH_RUN_DIR/relaydesk.json
cat >"$CONF" <<JSON
{ "version": 1, "prune": true, "settings": { "logLevel": "warn", "route": { "mode": "direct" } },
  "instances": [{ "name": "bench", "spec": { "type": "mixed", "listen": "127.0.0.1:$PORT", "udp": false } }] }
JSON

measure() { # name native(1|0) run-no
  local name=$1 native=$2 r=$3 data pid
  data=$(mktemp -d)
  RELAYDESK_NATIVE=$native node "$ROOT/dist/cli.js" serve --data-dir "$data" --listen 127.0.0.1:0 \
    --config "$CONF" --log-level warn >"$BENCH_RUN_DIR/$name-$r.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do ss -Hltn "sport = :$PORT" | grep -q . && break; sleep 0.1; done
  bash "$HARNESS/run.sh" socks5 127.0.0.1:$PORT --name "$name" --pids "$pid" --runs 1 --run-no "$r" "${QUICK[@]}" || true
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}

for ((r = 1; r <= RUNS; r++)); do
  measure relaydesk 1 "$r"
  [[ $JS == 1 ]] && measure relaydesk-js 0 "$r"
done
# shellcheck disable=SC2086
bash "$HARNESS/suite.sh" --runs "$RUNS" "${QUICK[@]}" $PEERS

node "$HARNESS/tools/report.js" "$BENCH_RUN_DIR"/results/*.jsonl | tee "$BENCH_RUN_DIR/report.md"
node "$ROOT/bench/ratios.js" "$BENCH_RUN_DIR"/results/*.jsonl | tee -a "$BENCH_RUN_DIR/report.md"
