import { randomBytes } from 'node:crypto';
import type { Instance, MasterApiSettings } from '../../rpc';
import type { NpInstance } from './schemas';

/** The id of the pseudo-instance that shows the API key (`url`), master id (`config`) and alias. */
export const API_KEY_ID = '********';

/** Whether the master API serves this engine instance (only NodePass-style tunnel ends). */
export function isNodePass(view: Instance): boolean {
  return view.spec.type === 'nodepass';
}

/**
 * An engine instance as NodePass shows it: alias = name ("" when the name is just the id, i.e. no
 * alias was given), status running/error/stopped, url = the spec's URL, figures from `tunnel`.
 */
export function toNpInstance(view: Instance): NpInstance {
  const t = view.tunnel;
  const url = view.spec.type === 'nodepass' ? view.spec.url : '';
  const role = t?.role ?? (url.toLowerCase().startsWith('server:') ? 'server' : 'client');
  return {
    id: view.id,
    alias: view.name === view.id ? '' : view.name,
    type: role,
    status: view.state === 'running' ? 'running' : view.state === 'failed' ? 'error' : 'stopped',
    url,
    config: t?.config ?? '',
    restart: view.autoStart,
    meta: { peer: { ...view.meta.peer }, tags: { ...view.meta.tags } },
    mode: t?.mode ?? 0,
    ping: Math.round(t?.ping ?? 0),
    pool: t?.pool ?? 0,
    tcps: t?.tcps ?? 0,
    udps: t?.udps ?? 0,
    tcprx: t?.tcprx ?? 0,
    tcptx: t?.tcptx ?? 0,
    udprx: t?.udprx ?? 0,
    udptx: t?.udptx ?? 0,
  };
}

/** The `********` entry: url = API key, config = master id, alias = master alias, the rest empty. */
export function keyInstance(m: MasterApiSettings): NpInstance {
  return {
    id: API_KEY_ID, alias: m.alias, type: '', status: '', url: m.key ?? '', config: m.mid ?? '', restart: false,
    meta: { peer: { sid: '', type: '', alias: '' }, tags: {} },
    mode: 0, ping: 0, pool: 0, tcps: 0, udps: 0, tcprx: 0, tcptx: 0, udprx: 0, udptx: 0,
  };
}

/** A random lowercase hex string of `bytes` bytes (ids: 4, master id: 8, API key: 16). */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
