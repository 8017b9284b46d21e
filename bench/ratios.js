// Prints RelayDesk's figures as ratios against the peers measured in the same run, with the
// targets of the foundation issue (SOCKS5), issue 3 (VLESS) and issue 5 (NodePass tunnels).
// usage: node bench/ratios.js results/*.jsonl
import { readFileSync } from 'node:fs';

const rows = process.argv.slice(2).flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => {
  try { return JSON.parse(l); } catch { return null; }
})).filter((r) => r && !r.error);

const median = (a) => {
  const s = a.filter(Number.isFinite).sort((x, y) => x - y);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const med = (name, test, key) => median(rows.filter((r) => r.name === name && r.test === test).map((r) => r[key]));
const fmt = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '–');

const checks = [
  // [label, ours, peer, test, key, better, target ratio]
  ['proxy CPU s/GB, 1 stream', 'dante', 'bulk1', 'proxyCpuSperGB', 'lower', 1.0],
  ['proxy CPU s/GB, 8 streams', 'dante', 'bulk8', 'proxyCpuSperGB', 'lower', 1.0],
  ['throughput MB/s, 1 stream', 'dante', 'bulk1', 'MBps', 'higher', null],
  ['throughput MB/s, 8 streams', 'dante', 'bulk8', 'MBps', 'higher', null],
  ['conn/s @c=50', 'dante', 'conn', 'connPerS', 'higher', 1.5],
  ['p99 ms @c=50', 'dante', 'conn', 'p99ms', 'lower', null],
  ['proxy CPU ms / 1k conn', 'dante', 'conn', 'proxyCpuMsPer1k', 'lower', null],
  ['proxy CPU s/GB, 8 streams', 'node-socks5', 'bulk8', 'proxyCpuSperGB', 'lower', null],
  ['conn/s @c=50', 'node-socks5', 'conn', 'connPerS', 'higher', null],
];
const vlessChecks = (peer) => [
  ['proxy CPU s/GB, 1 stream', peer, 'bulk1', 'proxyCpuSperGB', 'lower', peer.endsWith('tcp') ? 0.6 : null],
  ['proxy CPU s/GB, 8 streams', peer, 'bulk8', 'proxyCpuSperGB', 'lower', peer.endsWith('tcp') ? 0.6 : null],
  ['throughput MB/s, 1 stream', peer, 'bulk1', 'MBps', 'higher', peer.endsWith('tcp') ? 1.3 : 1.5],
  ['throughput MB/s, 8 streams', peer, 'bulk8', 'MBps', 'higher', peer.endsWith('tcp') ? 1.3 : 1.5],
  ['conn/s @c=50', peer, 'conn', 'connPerS', 'higher', 1.5],
  ['p99 ms @c=50', peer, 'conn', 'p99ms', 'lower', 1.0],
];
// Issue 5: the single-end forward vs haproxy (CPU) and the Node forwarder (throughput); the
// dual-end tunnel (two processes) for information. Targets are checked on the bulk tool's figures;
// iperf3 rows are a cross-check.
const npSingle = [
  ['proxy CPU s/GB, 1 stream', 'haproxy', 'bulk1', 'proxyCpuSperGB', 'lower', 1.0],
  ['proxy CPU s/GB, 8 streams', 'haproxy', 'bulk8', 'proxyCpuSperGB', 'lower', 1.0],
  ['iperf3 proxy CPU s/GB, 1 stream', 'haproxy', 'iperf1', 'proxyCpuSperGB', 'lower', null],
  ['iperf3 proxy CPU s/GB, 8 streams', 'haproxy', 'iperf8', 'proxyCpuSperGB', 'lower', null],
  ['throughput MB/s, 1 stream', 'node-tcpfwd', 'bulk1', 'MBps', 'higher', 0.9],
  ['throughput MB/s, 8 streams', 'node-tcpfwd', 'bulk8', 'MBps', 'higher', 0.9],
  ['iperf3 MB/s, 1 stream', 'node-tcpfwd', 'iperf1', 'MBps', 'higher', null],
  ['iperf3 MB/s, 8 streams', 'node-tcpfwd', 'iperf8', 'MBps', 'higher', null],
  ['proxy CPU s/GB, 8 streams', 'node-tcpfwd', 'bulk8', 'proxyCpuSperGB', 'lower', null],
  ['conn/s @c=50', 'node-tcpfwd', 'conn', 'connPerS', 'higher', null],
  ['proxy CPU ms / 1k conn', 'haproxy', 'conn', 'proxyCpuMsPer1k', 'lower', null],
  ['throughput MB/s, 8 streams', 'socat', 'bulk8', 'MBps', 'higher', null],
];
const npDual = [
  ['throughput MB/s, 1 stream', 'node-tcpfwd', 'bulk1', 'MBps', 'higher', null],
  ['throughput MB/s, 8 streams', 'node-tcpfwd', 'bulk8', 'MBps', 'higher', null],
  ['iperf3 MB/s, 8 streams', 'node-tcpfwd', 'iperf8', 'MBps', 'higher', null],
  ['conn/s @c=50', 'node-tcpfwd', 'conn', 'connPerS', 'higher', null],
  ['conn/s @c=50', 'socat', 'conn', 'connPerS', 'higher', null],
  ['throughput MB/s, 8 streams', 'socat', 'bulk8', 'MBps', 'higher', null],
  ['p99 ms @c=50', 'node-tcpfwd', 'conn', 'p99ms', 'lower', null],
  ['proxy CPU s/GB, 8 streams (2 processes)', 'haproxy', 'bulk8', 'proxyCpuSperGB', 'lower', null],
  ['proxy CPU ms / 1k conn (2 processes)', 'node-tcpfwd', 'conn', 'proxyCpuMsPer1k', 'lower', null],
];
const checksOf = (o) => {
  if (o === 'relaydesk-np-single') return npSingle;
  if (o === 'relaydesk-np-dual') return npDual;
  const m = /^relaydesk-vless-(\w+)$/.exec(o);
  return m ? vlessChecks(`v2ray-vless-${m[1]}`) : checks;
};
const ours = [...new Set(rows.map((r) => r.name))].filter((n) => n.startsWith('relaydesk'));
const out = ['\nRatios (ours / peer, same run)\n', '| ours | figure | peer | ours | peer | ratio | target |', '|---|---|---|---:|---:|---:|---|'];
for (const o of ours) {
  for (const [label, peer, test, key, better, target] of checksOf(o)) {
    const a = med(o, test, key);
    const b = med(peer, test, key);
    const ratio = a / b;
    let verdict = '';
    if (target !== null && Number.isFinite(ratio)) {
      const ok = better === 'lower' ? ratio <= target : ratio >= target;
      verdict = `${better === 'lower' ? '≤' : '≥'} ${target}× ${ok ? 'met' : 'NOT met'}`;
    }
    out.push(`| ${o} | ${label} | ${peer} | ${fmt(a)} | ${fmt(b)} | ${fmt(ratio)} | ${verdict} |`);
  }
  const kb = med(o, 'idle', 'kbPerConnRss');
  if (o.startsWith('relaydesk-np-')) {
    const peerKb = med('node-tcpfwd', 'idle', 'kbPerConnRss');
    out.push(`| ${o} | RSS KB per idle connection | node-tcpfwd | ${fmt(kb, 1)} | ${fmt(peerKb, 1)} | ${fmt(kb / peerKb)} | |`);
  } else {
    out.push(`| ${o} | RSS KB per idle connection | – | ${fmt(kb, 1)} | – | – | ≤ 60 KB ${kb <= 60 ? 'met' : 'NOT met'} |`);
  }
}
process.stdout.write(out.join('\n') + '\n');
