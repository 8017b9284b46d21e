import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { goArch, goOs } from './go-compat';
import type { MasterInfo } from './schemas';

/** The host figures of /info (NodePass getLinuxSysInfo); cpu -1 and the rest 0 off Linux or when /proc is unreadable. */
export interface SystemInfo {
  cpu: number;
  mem_total: number;
  mem_used: number;
  swap_total: number;
  swap_used: number;
  netrx: number;
  nettx: number;
  diskr: number;
  diskw: number;
  sysup: number;
}

/** What /info reports besides the host figures. */
export interface MasterIdentity {
  mid: string;
  alias: string;
  ver: string;
  name: string;
  /** Seconds since the API started. */
  uptime: number;
  log: string;
  tls: string;
  crt: string;
  key: string;
}

/** The MasterInfo body, fields in NodePass's order. */
export async function masterInfo(id: MasterIdentity): Promise<MasterInfo> {
  const sys = goOs() === 'linux' ? await linuxSysInfo() : emptySysInfo();
  return {
    mid: id.mid, alias: id.alias, os: goOs(), arch: goArch(), cpu: sys.cpu,
    mem_total: sys.mem_total, mem_used: sys.mem_used, swap_total: sys.swap_total, swap_used: sys.swap_used,
    netrx: sys.netrx, nettx: sys.nettx, diskr: sys.diskr, diskw: sys.diskw, sysup: sys.sysup,
    ver: id.ver, name: id.name, uptime: id.uptime, log: id.log, tls: id.tls, crt: id.crt, key: id.key,
  };
}

export function emptySysInfo(): SystemInfo {
  return { cpu: -1, mem_total: 0, mem_used: 0, swap_total: 0, swap_used: 0, netrx: 0, nettx: 0, diskr: 0, diskw: 0, sysup: 0 };
}

/** Reads /proc as NodePass does: CPU over 100 ms of /proc/stat, meminfo, net/dev (physical), diskstats (whole disks), uptime. */
export async function linuxSysInfo(procDir = '/proc'): Promise<SystemInfo> {
  const info = emptySysInfo();
  const read = (name: string) => readFile(`${procDir}/${name}`, 'utf8').catch(() => null);
  const a = cpuTimes(await read('stat'));
  await sleep(100);
  const b = cpuTimes(await read('stat'));
  if (a && b && b.total > a.total) {
    const dTotal = b.total - a.total;
    info.cpu = Math.min(Math.floor(((dTotal - (b.idle - a.idle)) * 100) / dTotal), 100);
  }
  const mem = await read('meminfo');
  if (mem !== null) Object.assign(info, parseMeminfo(mem));
  const net = await read('net/dev');
  if (net !== null) Object.assign(info, parseNetDev(net));
  const disk = await read('diskstats');
  if (disk !== null) Object.assign(info, parseDiskstats(disk));
  const up = await read('uptime');
  const secs = up === null ? NaN : Number.parseFloat(up.trim().split(/\s+/)[0] ?? '');
  if (Number.isFinite(secs)) info.sysup = Math.floor(secs);
  return info;
}

function cpuTimes(stat: string | null): { idle: number; total: number } | null {
  const line = stat?.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const nums = line.trim().split(/\s+/).slice(1).map((v) => Number(v) || 0);
  return { idle: nums[3] ?? 0, total: nums.reduce((s, v) => s + v, 0) };
}

export function parseMeminfo(text: string): Pick<SystemInfo, 'mem_total' | 'mem_used' | 'swap_total' | 'swap_used'> {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v && /^\d+$/.test(v)) kb.set(k, Number(v) * 1024);
  }
  const g = (k: string) => kb.get(k) ?? 0;
  return {
    mem_total: g('MemTotal:'), mem_used: Math.max(0, g('MemTotal:') - g('MemAvailable:')),
    swap_total: g('SwapTotal:'), swap_used: Math.max(0, g('SwapTotal:') - g('SwapFree:')),
  };
}

const VIRTUAL_IF = /^(lo|veth|docker|podman|br-|virbr)/;

export function parseNetDev(text: string): Pick<SystemInfo, 'netrx' | 'nettx'> {
  let netrx = 0;
  let nettx = 0;
  for (const line of text.split('\n').slice(2)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || VIRTUAL_IF.test(f[0]!.replace(/:$/, ''))) continue;
    netrx += Number(f[1]) || 0;
    nettx += Number(f[9]) || 0;
  }
  return { netrx, nettx };
}

export function parseDiskstats(text: string): Pick<SystemInfo, 'diskr' | 'diskw'> {
  let diskr = 0;
  let diskw = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const dev = f[2]!;
    // Whole disks only: partitions end in a digit; loop, ram, dm-*, md* are virtual.
    if (dev.includes('loop') || dev.includes('ram') || dev.startsWith('dm-') || dev.startsWith('md') || /\d$/.test(dev)) continue;
    diskr += (Number(f[5]) || 0) * 512;
    diskw += (Number(f[9]) || 0) * 512;
  }
  return { diskr, diskw };
}
