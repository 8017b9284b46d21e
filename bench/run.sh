#!/usr/bin/env bash
# npm run bench: measures RelayDesk's mixed port (SOCKS5 path) with the shared harness, next to
# dante and the plain Node SOCKS5 baseline in the same run, and NodePass tunnels (TCP forwards)
# next to socat, haproxy and the plain Node forwarder; then prints the ratios.
#
#   bash bench/run.sh [--quick] [--runs N] [--peers "dante node-socks5"] [--no-js] [--vless]
#                     [--no-nodepass | --only-nodepass]
#
# --vless adds the VLESS chains (SOCKS5 in -> VLESS/TCP|TLS|WS out -> our relay -> direct, one
# RelayDesk process per hop, CPU summed) next to the same chains built from two v2ray processes.
# NodePass rows (on by default; --no-nodepass skips them, --only-nodepass skips the SOCKS rows and
# their peers), measured as `run.sh tcpfwd` (P -> sink, P+1 -> nginx, P+2 -> iperf3, one instance
# per port): relaydesk-np-single = one engine with three single-end clients (client://…?mode=1);
# relaydesk-np-dual = a forward-flow dual-end tunnel per port, server engine (server://…?mode=2
# dials the target) + client engine (client://…?mode=2 listens), CPU summed over both processes.
# With the NodePass rows, socat, haproxy and node-tcpfwd join the peers (unless --peers is given);
# NodePass rows run with the native splice path only. --nodepass is accepted (the default).
# Each run starts a fresh engine (the idle-memory figure is only valid on a fresh process),
# with the native splice path (default) and, unless --no-js, with RELAYDESK_NATIVE=0 (the JS path).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HARNESS=${BENCH_HARNESS:-$ROOT/../shared/bench}
RUNS=3 QUICK=() PEERS="" PEERS_SET=0 JS=1 VLESS=0 NP=1 SOCKS=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=(--quick); RUNS=1; shift ;;
    --runs) RUNS=$2; shift 2 ;;
    --peers) PEERS=$2; PEERS_SET=1; shift 2 ;;
    --no-js) JS=0; shift ;;
    --vless) VLESS=1; shift ;;
    --nodepass) NP=1; shift ;;
    --no-nodepass) NP=0; shift ;;
    --only-nodepass) NP=1 SOCKS=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if [[ $PEERS_SET == 0 ]]; then
  [[ $SOCKS == 1 ]] && PEERS="dante node-socks5"
  [[ $NP == 1 ]] && PEERS+=" socat haproxy node-tcpfwd"
fi
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
# Targets up once for the whole run (the NodePass rows check their path with curl before measuring;
# run.sh and suite.sh leave running targets alone), stopped at the end if started here.
TARGETS_UP=0 LIVE=""
TARGETS_STATUS=$(bash "$HARNESS/targets.sh" status) # not piped into grep -q: SIGPIPE + pipefail
[[ $TARGETS_STATUS == *down* ]] || TARGETS_UP=1
cleanup() {
  [[ -n $LIVE ]] && kill -TERM ${LIVE//,/ } 2>/dev/null
  [[ $TARGETS_UP == 0 ]] && bash "$HARNESS/targets.sh" stop
  rm -rf "$BENCH_RUN_DIR/data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bash "$HARNESS/targets.sh" start
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

# The engines are not children of this shell (started in $(...)): `wait` cannot wait for them, so
# poll until they are gone (up to 5 s, then KILL) before the next row starts.
stop_engines() { # pid,pid
  local p _
  kill -TERM ${1//,/ } 2>/dev/null || true
  for _ in $(seq 50); do
    for p in ${1//,/ }; do kill -0 "$p" 2>/dev/null && { sleep 0.1; continue 2; }; done
    return 0
  done
  kill -KILL ${1//,/ } 2>/dev/null || true
}

wait_listen() { for _ in $(seq 100); do ss -Hltn "sport = :$1" | grep -q . && return 0; sleep 0.1; done; return 1; }

# NodePass ports: single-end users 19170-2; dual-end users 19173-5, tunnel (server) ports 19176-8.
NP_SINGLE=19170 NP_DUAL=19173 NP_TUNNEL=19176
NP_TARGETS=(19001 19080 19201) NP_NAMES=(sink http iperf)
np_conf() { # file role(single|server|client) -> config with one nodepass instance per forwarded port
  local f=$1 role=$2 i url sep="" inst=""
  for i in 0 1 2; do
    case $role in
      single) url="client://127.0.0.1:$((NP_SINGLE + i))/127.0.0.1:${NP_TARGETS[i]}?mode=1" ;;
      server) url="server://127.0.0.1:$((NP_TUNNEL + i))/127.0.0.1:${NP_TARGETS[i]}?mode=2" ;;
      client) url="client://127.0.0.1:$((NP_TUNNEL + i))/127.0.0.1:$((NP_DUAL + i))?mode=2" ;;
    esac
    inst+="$sep{ \"name\": \"np-$role-${NP_NAMES[i]}\", \"spec\": { \"type\": \"nodepass\", \"url\": \"$url\" } }"
    sep=", "
  done
  cat >"$f" <<JSON
{ "version": 1, "prune": true, "settings": { "logLevel": "warn", "route": { "mode": "direct" } },
  "instances": [$inst] }
JSON
  echo "$f"
}

np_check() { # base port -> 0 when P+1 answers nginx's "ok" through the path (the whole tunnel works)
  local body
  body=$(curl -s --max-time 5 "http://127.0.0.1:$(($1 + 1))/" || true)
  [[ $body == ok ]] || { echo "path check: GET via :$(($1 + 1)) returned '${body:0:80}'" >&2; return 1; }
}

measure_np() { # name run-no config [client-config]: with a client config, a dual-end tunnel (server engine first)
  local name=$1 r=$2 conf=$3 second=${4:-} base=$NP_SINGLE pids p ok=1
  local t0=$SECONDS
  pids=$(start_engine 1 "$conf" "$BENCH_RUN_DIR/$name-$r.log")
  LIVE=$pids
  if [[ -n $second ]]; then
    base=$NP_DUAL
    for p in $NP_TUNNEL $((NP_TUNNEL + 1)) $((NP_TUNNEL + 2)); do wait_listen $p || ok=0; done
    pids+=,$(start_engine 1 "$second" "$BENCH_RUN_DIR/$name-client-$r.log")
    LIVE=$pids
  fi
  for p in $base $((base + 1)) $((base + 2)); do wait_listen $p || ok=0; done
  if [[ $ok == 1 ]] && np_check $base; then
    echo "[$(date +%H:%M:%S)] $name run $r: engines up and path checked in $((SECONDS - t0)) s (pids $pids)" >&2
    bash "$HARNESS/run.sh" tcpfwd 127.0.0.1:$base --name "$name" --pids "$pids" --runs 1 --run-no "$r" "${QUICK[@]}" || true
  else
    echo "[$(date +%H:%M:%S)] SKIP $name run $r: ports or path check failed; engine logs:" >&2
    tail -n 20 "$BENCH_RUN_DIR/$name"*-"$r".log >&2 || true
  fi
  stop_engines "$pids"
  LIVE=""
}

measure() { # name native(1|0) run-no [config [relay-config]]
  local name=$1 native=$2 r=$3 conf=${4:-$CONF} relay=${5:-} pids
  pids=$(start_engine "$native" "$conf" "$BENCH_RUN_DIR/$name-$r.log")
  if [[ -n $relay ]]; then
    pids+=,$(start_engine "$native" "$relay" "$BENCH_RUN_DIR/$name-relay-$r.log")
    wait_listen $((PORT + 1))
  fi
  wait_listen $PORT
  bash "$HARNESS/run.sh" socks5 127.0.0.1:$PORT --name "$name" --pids "$pids" --runs 1 --run-no "$r" "${QUICK[@]}" || true
  stop_engines "$pids"
}

T0=$SECONDS
for ((r = 1; r <= RUNS; r++)); do
  if [[ $SOCKS == 1 ]]; then
    measure relaydesk 1 "$r"
    [[ $JS == 1 ]] && measure relaydesk-js 0 "$r"
  fi
  if [[ $VLESS == 1 ]]; then
    # shellcheck disable=SC2046
    for t in tcp tls ws; do measure "relaydesk-vless-$t" 1 "$r" $(vless_conf $t); done
  fi
  if [[ $NP == 1 ]]; then
    measure_np relaydesk-np-single "$r" "$(np_conf "$BENCH_RUN_DIR/relaydesk-np-single.json" single)"
    measure_np relaydesk-np-dual "$r" "$(np_conf "$BENCH_RUN_DIR/relaydesk-np-server.json" server)" \
      "$(np_conf "$BENCH_RUN_DIR/relaydesk-np-client.json" client)"
  fi
done
echo "[$(date +%H:%M:%S)] RelayDesk rows done in $((SECONDS - T0)) s" >&2
[[ $VLESS == 1 ]] && PEERS+=" v2ray-vless-tcp v2ray-vless-tls v2ray-vless-ws"
# shellcheck disable=SC2086
PEERS=$(printf '%s\n' $PEERS | awk '!seen[$0]++' | xargs)
T1=$SECONDS
# shellcheck disable=SC2086
[[ -n $PEERS ]] && bash "$HARNESS/suite.sh" --runs "$RUNS" "${QUICK[@]}" $PEERS
echo "[$(date +%H:%M:%S)] peers ($PEERS) done in $((SECONDS - T1)) s; total $((SECONDS - T0)) s" >&2

node "$HARNESS/tools/report.js" "$BENCH_RUN_DIR"/results/*.jsonl | tee "$BENCH_RUN_DIR/report.md"
node "$ROOT/bench/ratios.js" "$BENCH_RUN_DIR"/results/*.jsonl | tee -a "$BENCH_RUN_DIR/report.md"
