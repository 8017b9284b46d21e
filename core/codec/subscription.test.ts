import { describe, expect, it } from 'vitest';
import { GOOD_LINKS, UUID } from '../test/vless-fixtures';
import { parseSubscription } from './subscription';

const VMESS = 'vmess://eyJ2IjoiMiIsInBzIjoieCJ9';
const SS = 'ss://YWVzLTI1Ni1nY206cGFzcw@1.2.3.4:8388#ss';
const TROJAN = `trojan://pass@example.com:443#t`;
const BROKEN_VLESS = `vless://${UUID}@example.com:443?security=reality&pbk=x`;
const LIST = [GOOD_LINKS[0]!, VMESS, GOOD_LINKS[1]!, SS, '', TROJAN, BROKEN_VLESS, GOOD_LINKS[2]!].join('\n');

/** Every way panels serve base64: std/url-safe alphabet, padded or not, wrapped at 76 columns. */
function encodings(text: string): Record<string, string> {
  const std = Buffer.from(text, 'utf8').toString('base64');
  const url = Buffer.from(text, 'utf8').toString('base64url');
  return {
    'std padded': std,
    'std unpadded': std.replace(/=+$/, ''),
    'url-safe unpadded': url,
    'url-safe padded': url + '='.repeat((4 - (url.length % 4)) % 4),
    'std wrapped (CRLF, trailing newline)': `${std.match(/.{1,76}/g)!.join('\r\n')}\r\n`,
  };
}

function expectTheList(r: ReturnType<typeof parseSubscription>): void {
  expect(r.profiles.map((p) => p.link)).toEqual([GOOD_LINKS[0], GOOD_LINKS[1], BROKEN_VLESS, GOOD_LINKS[2]]);
  expect(r.profiles.map((p) => p.line)).toEqual([1, 3, 7, 8]);
  expect(r.profiles.map((p) => p.result.ok)).toEqual([true, true, false, true]);
  const broken = r.profiles[2]!.result;
  expect(broken.ok ? '' : broken.error).toMatch(/REALITY/);
  expect(r.errors).toEqual([
    { line: 2, error: 'scheme vmess:// is not supported (only vless:// links are imported)' },
    { line: 4, error: 'scheme ss:// is not supported (only vless:// links are imported)' },
    { line: 6, error: 'scheme trojan:// is not supported (only vless:// links are imported)' },
  ]);
}

describe('parseSubscription', () => {
  it('reads a plain list (LF or CRLF, BOM, blank lines, comments)', () => {
    const r = parseSubscription(LIST);
    expect(r.encoding).toBe('plain');
    expectTheList(r);
    const crlf = parseSubscription(`\ufeff${LIST.replace(/\n/g, '\r\n')}\r\n\r\n`);
    expect(crlf.encoding).toBe('plain');
    expectTheList(crlf);
    expect(parseSubscription(`# my servers\n${GOOD_LINKS[3]}\n`)).toMatchObject({ profiles: [{ result: { ok: true } }], errors: [] });
  });

  it('reads base64 in every alphabet, padding and wrapping', () => {
    // "日本" in the names makes the byte count vary, so padding differs between the two texts.
    for (const text of [LIST, `${LIST}\n`]) {
      for (const [what, body] of Object.entries(encodings(text))) {
        const r = parseSubscription(body);
        expect(r.encoding, what).toBe('base64');
        expectTheList(r);
      }
    }
    // "~~~" and "???" encode as "fn5+" and "Pz8/": the URL-safe alphabet shows "-" and "_".
    const urlOnly = Buffer.from(`###~~~???\n${GOOD_LINKS[1]}\n`).toString('base64url');
    expect(urlOnly).toMatch(/^IyMjfn5-Pz8_/);
    expect(parseSubscription(urlOnly).profiles).toHaveLength(1);
  });

  it('reports lines that are not links and unknown schemes, without stopping', () => {
    const r = parseSubscription(`hello there\n${GOOD_LINKS[3]}\nfoo://bar\n`);
    expect(r.profiles).toHaveLength(1);
    expect(r.errors).toEqual([
      { line: 1, error: 'not a share link: "hello there"' },
      { line: 3, error: 'unknown scheme foo:// is not supported (only vless:// links are imported)' },
    ]);
  });

  it('names bodies that are something else', () => {
    const whole = (text: string) => parseSubscription(text).errors;
    expect(whole('')).toEqual([{ line: 0, error: 'the subscription is empty' }]);
    expect(whole(' \n\t ')).toEqual([{ line: 0, error: 'the subscription is empty' }]);
    expect(whole('mixed-port: 7890\nproxies:\n  - name: a\n')[0]!.error).toMatch(/Clash/);
    expect(whole('{"version":1,"servers":[]}')[0]!.error).toMatch(/JSON/);
    expect(whole('<!doctype html><title>Login</title>')[0]!.error).toMatch(/HTML/);
    expect(whole(Buffer.from('just some words').toString('base64'))).toEqual([{ line: 0, error: 'the base64 body decodes to text without any share link' }]);
  });
});
