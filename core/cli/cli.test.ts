import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectWs, tryUpgrade } from '../test/api-ws';
import { buildCli, REPO_ROOT, runCliProcess, spawnCli, type CliProcess } from '../test/cli-process';

// End to end: the bundled CLI as a child process, as users and supervisors run it.
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const PROXY_CONFIG = { version: 1, instances: [{ name: 'test proxy', spec: { type: 'mixed', listen: '127.0.0.1:0' } }] };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

beforeAll(() => buildCli(), 60_000);

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'relaydesk-cli-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function writeConfig(dir: string, content: unknown, name = 'c.json'): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

interface Serving { p: CliProcess; port: number; token: string; base: string; rpcUrl: string }

async function startServe(dataDir: string, extra: string[] = [], env: Record<string, string> = {}): Promise<Serving> {
  const p = spawnCli(['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', ...extra], env);
  cleanups.push(() => p.kill());
  const m = await p.waitForStdout(/^RelayDesk (\S+) — dashboard: http:\/\/127\.0\.0\.1:(\d+)\/\?token=(\S+)\n/m);
  expect(m[1]).toBe(VERSION);
  const port = Number(m[2]);
  expect(port).toBeGreaterThan(0);
  const token = decodeURIComponent(m[3]);
  return { p, port, token, base: `http://127.0.0.1:${port}`, rpcUrl: `ws://127.0.0.1:${port}/rpc` };
}

async function rpcClient(s: Serving) {
  const client = await connectWs(s.rpcUrl, { token: s.token });
  cleanups.push(() => client.close());
  return client;
}

async function stopWith(s: Serving, signal: NodeJS.Signals): Promise<number> {
  const started = Date.now();
  s.p.child.kill(signal);
  const code = await s.p.exited;
  expect(Date.now() - started).toBeLessThan(5000);
  return code ?? -1;
}

describe('relaydesk serve', { timeout: 45_000 }, () => {
  it('serves the engine behind a token, refuses a second serve, stops on SIGTERM and round-trips export', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const s = await startServe(dataDir, ['--config', writeConfig(dir, PROXY_CONFIG)]);

    const tokenFile = join(dataDir, 'api-token');
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe(s.token);
    if (process.platform !== 'win32') expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dataDir, 'serve.json'), 'utf8'))).toEqual({ listen: `127.0.0.1:${s.port}`, pid: s.p.child.pid });

    expect(await tryUpgrade(`${s.base}/rpc`)).toMatchObject({ status: 401, body: { error: { code: 'E_AUTH_REQUIRED' } } });
    expect(await tryUpgrade(`${s.base}/rpc?token=wrong`)).toMatchObject({ status: 401, body: { error: { code: 'E_AUTH_FAILED' } } });
    expect(await tryUpgrade(`${s.base}/rpc?token=${s.token}`, { origin: 'http://evil.example' })).toMatchObject({ status: 403, body: { error: { code: 'E_AUTH_FAILED' } } });
    expect((await fetch(`${s.base}/healthz`, { headers: { connection: 'close' } })).status).toBe(200);

    const client = await rpcClient(s);
    expect((await client.rpc.api.getInfo()).dataDir).toBe(dataDir);
    const [inst, ...others] = await client.rpc.api.listInstances();
    expect(others).toEqual([]);
    expect(inst).toMatchObject({ name: 'test proxy', state: 'running', spec: { type: 'mixed', listen: '127.0.0.1:0' } });
    const proxyPort = Number(inst.address!.split(':')[1]);
    expect(proxyPort).toBeGreaterThan(0);
    await new Promise<void>((resolve, reject) => {
      const sock = connect(proxyPort, '127.0.0.1', () => { sock.destroy(); resolve(); }).on('error', reject);
    });

    const second = await runCliProcess(['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`relaydesk: data dir ${dataDir} is in use by another RelayDesk (pid ${s.p.child.pid})`);
    expect(second.stdout).toBe('');

    // While serve holds the data dir, export asks it over /rpc.
    const running = await runCliProcess(['export', '--data-dir', dataDir]);
    expect(running.stderr).toBe('');
    expect(running.code).toBe(0);
    const exported = JSON.parse(running.stdout);
    expect(exported.instances).toEqual([expect.objectContaining({ id: inst.id, name: 'test proxy' })]);

    await client.close();
    expect(await stopWith(s, 'SIGTERM')).toBe(0);
    expect(s.p.stderr()).toContain('SIGTERM: shutting down');
    expect(existsSync(join(dataDir, 'serve.json'))).toBe(false);

    // The lock is released: export opens the data dir itself and prints the same file.
    const offline = await runCliProcess(['export', '--data-dir', dataDir]);
    expect(offline.code).toBe(0);
    expect(JSON.parse(offline.stdout)).toEqual(exported);

    // And the exported file is a valid --config for a new serve, changing nothing.
    const again = await startServe(dataDir, ['--config', writeConfig(dir, offline.stdout, 'exported.json'), '--log-level', 'debug']);
    expect(again.p.stderr()).toContain('0 created, 0 updated, 0 deleted');
    const c2 = await rpcClient(again);
    expect((await c2.rpc.api.listInstances()).map((i) => [i.id, i.state])).toEqual([[inst.id, 'running']]);
    await c2.close();
    expect(await stopWith(again, 'SIGINT')).toBe(0);
  });

  it('on a first run without --config, seeds the default local proxy; honours $RELAYDESK_TOKEN', async () => {
    const dataDir = join(tempDir(), 'data');
    const s = await startServe(dataDir, [], { RELAYDESK_TOKEN: 'env-token-123' });
    expect(s.token).toBe('env-token-123');
    expect(existsSync(join(dataDir, 'api-token'))).toBe(false);
    const client = await rpcClient(s);
    const list = await client.rpc.api.listInstances();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ name: 'Local proxy', spec: { type: 'mixed', listen: '127.0.0.1:7890' } });
    // 7890 may be taken on this machine: then the instance failed, saying why.
    if (list[0].state === 'failed') expect(list[0].error?.code).toBe('E_LISTEN_ADDRINUSE');
    else expect(list[0].state).toBe('running');

    const dashboardBuilt = existsSync(join(REPO_ROOT, 'dist', 'renderer', 'index.html'));
    const page = await fetch(`${s.base}/`, { headers: { connection: 'close' } });
    expect(page.status).toBe(dashboardBuilt ? 200 : 404);
    if (dashboardBuilt) expect(page.headers.get('content-security-policy')).toContain("connect-src 'self' ws:");
    await page.arrayBuffer();

    await client.close();
    expect(await stopWith(s, 'SIGTERM')).toBe(0);
  });

  it('exits 1 with a clear message when the API address is taken, releasing the data dir', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const addr = `127.0.0.1:${(blocker.address() as AddressInfo).port}`;
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const r = await runCliProcess(['serve', '--data-dir', dataDir, '--listen', addr, '--config', writeConfig(dir, { instances: [] })]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`relaydesk: cannot serve the API: ${addr} is already in use by another program`);
    expect(existsSync(join(dataDir, 'relaydesk.lock'))).toBe(false);
    expect(existsSync(join(dataDir, 'serve.json'))).toBe(false);
  });

  it('rejects an invalid --config with exit code 2, changing nothing', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const cases: Array<[unknown, string]> = [
      ['{\n  "instances": [\n    { "name": "x" ]\n}', `${join(dir, 'c.json')}:3:19: invalid JSON: unexpected ']' (expected ',' or '}' after a property value)`],
      [{ instances: [{ name: 'x', spec: { type: 'mixed', listen: 'nope' } }] }, 'instances[0].spec.listen: expected host:port'],
      [{ instances: [{ name: 'x', spec: { type: 'foo' } }] }, 'instances[0].spec.type: unknown instance type "foo" (expected: mixed, vless, nodepass)'],
    ];
    for (const [content, message] of cases) {
      const r = await runCliProcess(['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--config', writeConfig(dir, content)]);
      expect(r.code, message).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stdout).toBe('');
      expect(existsSync(dataDir)).toBe(false);
    }

    // Problems only the engine can see (names across instances) are also caught before any change.
    const dup = { instances: [{ name: 'x', spec: { type: 'mixed', listen: '127.0.0.1:0' } }, { name: 'x', spec: { type: 'mixed', listen: '127.0.0.1:0' } }] };
    const r = await runCliProcess(['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--config', writeConfig(dir, dup)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('instances[1].name: duplicate name "x"');
    const exported = await runCliProcess(['export', '--data-dir', dataDir]);
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout).instances).toEqual([]);
  });
});

describe('relaydesk export, schema, help', () => {
  it('export on a data dir that does not exist fails without creating it', async () => {
    const dataDir = join(tempDir(), 'none');
    const r = await runCliProcess(['export', '--data-dir', dataDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`relaydesk: no RelayDesk data in ${dataDir} (nothing to export)\n`);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('schema prints the JSON Schema', async () => {
    const r = await runCliProcess(['schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['instances', 'settings']));
  });

  it('prints help and version, and refuses unknown options with exit code 2', async () => {
    const help = await runCliProcess(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: relaydesk <command>/);
    expect(help.stdout).toMatch(/Exit codes:\n {2}0 .*\n {2}1 .*\n[\s\S]* {2}2 {2}usage error/);
    expect(await runCliProcess(['--version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    const bad = await runCliProcess(['serve', '--bogus']);
    expect(bad).toEqual({ code: 2, stdout: '', stderr: "relaydesk: unknown option --bogus\nRun 'relaydesk serve --help' for usage.\n" });
    expect((await runCliProcess([])).code).toBe(2);
    // The npm bin entry loads the bundle.
    const bin = execFileSync(process.execPath, [join(REPO_ROOT, 'bin', 'relaydesk.js'), '--version'], { encoding: 'utf8', timeout: 10_000 });
    expect(bin).toBe(`${VERSION}\n`);
  });
});
