import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TOKEN_FILE, resolveToken } from './token';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
const tempDir = (): string => { const d = mkdtempSync(join(tmpdir(), 'relaydesk-token-')); dirs.push(d); return d; };

describe('resolveToken', () => {
  it('uses --token, then $RELAYDESK_TOKEN, without touching the data dir', () => {
    const dataDir = tempDir();
    expect(resolveToken({ flag: 'f', env: 'e', dataDir, create: true })).toBe('f');
    expect(resolveToken({ env: 'e', dataDir, create: true })).toBe('e');
    expect(() => statSync(join(dataDir, TOKEN_FILE))).toThrow();
    expect(() => resolveToken({ flag: 'has space', dataDir })).toThrow(/without spaces/);
  });

  it('creates a 0600 random token file once and reuses it', () => {
    const dataDir = tempDir();
    const t = resolveToken({ dataDir, create: true, env: '' });
    expect(t).toMatch(/^[0-9a-f]{32}$/);
    const path = join(dataDir, TOKEN_FILE);
    expect(readFileSync(path, 'utf8')).toBe(`${t}\n`);
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(resolveToken({ dataDir, create: true })).toBe(t);
    expect(resolveToken({ dataDir })).toBe(t);
  });

  it('without a file, refuses unless asked to create one; replaces an empty file', () => {
    const dataDir = tempDir();
    expect(() => resolveToken({ dataDir })).toThrow(/no API token/);
    writeFileSync(join(dataDir, TOKEN_FILE), '\n');
    expect(resolveToken({ dataDir, create: true })).toMatch(/^[0-9a-f]{32}$/);
  });
});
