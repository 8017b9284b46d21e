import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as wsModule from 'ws';
import { fuzz } from '../test/mixed-codec-fuzz';
import { acceptKey, encodeFrame, FrameParser, OP_BINARY, OP_CLOSE, OP_PING, type FrameSink } from './ws-frame';

// ws's frame classes are exported at run time but not typed.
const { Receiver, Sender } = wsModule as unknown as {
  Receiver: new (opts: object) => NodeJS.EventEmitter & { write(b: Buffer): void };
  Sender: new (socket: object) => { send(data: Buffer, opts: object): void; ping(data: Buffer, mask: boolean): void };
};

function sink(): FrameSink & { bytes: Buffer[]; controls: [number, Buffer][]; errors: [number, string][] } {
  const s = {
    bytes: [] as Buffer[], controls: [] as [number, Buffer][], errors: [] as [number, string][],
    data: (b: Buffer) => { s.bytes.push(Buffer.from(b)); },
    control: (op: number, p: Buffer) => { s.controls.push([op, p]); },
    error: (code: number, m: string) => { s.errors.push([code, m]); },
  };
  return s;
}

/** Feeds `wire` to a parser in random pieces (1 byte up to the whole). */
function feed(p: FrameParser, wire: Buffer, cut: () => number): void {
  for (let i = 0; i < wire.length;) {
    const n = Math.max(1, Math.min(wire.length - i, cut()));
    p.push(Buffer.from(wire.subarray(i, i + n)));
    i += n;
  }
}

describe('WebSocket framing', () => {
  it('computes the RFC 6455 accept key', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  const f = fuzz();
  it(`round-trips masked and unmasked frames of every length class, split anywhere (seed ${f.seed})`, () => {
    for (const masked of [true, false]) {
      const payloads = [0, 1, 31, 125, 126, 127, 65535, 65536, 200_000].map((n) => randomBytes(n));
      const wire = Buffer.concat(payloads.map((p) => (masked ? encodeFrame(OP_BINARY, p, true) : Buffer.concat([encodeFrame(OP_BINARY, p, false), p]))));
      const s = sink();
      feed(new FrameParser(s, masked), wire, () => f.int(70_000));
      expect(s.errors).toEqual([]);
      expect(Buffer.concat(s.bytes).equals(Buffer.concat(payloads))).toBe(true);
    }
  });

  it('reads what the ws library sends (masked, text, fragmented, with a ping between fragments)', () => {
    const chunks: Buffer[] = [];
    const sender = new Sender({ write: (b: Buffer) => { chunks.push(Buffer.from(b)); return true; }, cork() {}, uncork() {} });
    sender.send(Buffer.from('hello '), { binary: true, mask: true, fin: false, compress: false });
    sender.ping(Buffer.from('p'), true);
    sender.send(Buffer.from('world'), { binary: true, mask: true, fin: true, compress: false });
    const s = sink();
    feed(new FrameParser(s, true), Buffer.concat(chunks), () => 1 + f.int(5));
    expect(Buffer.concat(s.bytes).toString()).toBe('hello world');
    expect(s.controls).toEqual([[OP_PING, Buffer.from('p')]]);
  });

  it('is read by the ws library: binary frames and a close', async () => {
    const got: Buffer[] = [];
    let closed: number | null = null;
    const r = new Receiver({ isServer: true, skipUTF8Validation: true });
    r.on('message', (m: Buffer) => got.push(m));
    r.on('conclude', (code: number) => { closed = code; });
    const payload = randomBytes(70_000);
    const close = Buffer.alloc(2);
    close.writeUInt16BE(1000);
    r.write(Buffer.concat([encodeFrame(OP_BINARY, payload, true), encodeFrame(OP_CLOSE, close, true)]));
    expect(Buffer.concat(got).equals(payload)).toBe(true);
    expect(closed).toBe(1000);
  });

  it('refuses unmasked client frames, masked server frames, reserved bits, unknown opcodes and long control frames', () => {
    const cases: [Buffer, boolean][] = [
      [Buffer.concat([encodeFrame(OP_BINARY, Buffer.from('x'), false), Buffer.from('x')]), true],
      [encodeFrame(OP_BINARY, Buffer.from('x'), true), false],
      [Buffer.from([0xc2, 0x00]), false],
      [Buffer.from([0x83, 0x00]), false],
      [Buffer.concat([Buffer.from([0x89, 126, 0, 200]), Buffer.alloc(200)]), false],
      [Buffer.from([0x82, 127, 0xff, 0, 0, 0, 0, 0, 0, 1]), false],
    ];
    for (const [wire, requireMask] of cases) {
      const s = sink();
      const p = new FrameParser(s, requireMask);
      p.push(wire);
      p.push(Buffer.from([0x82, 0x01, 0x41]));
      expect(s.errors.length).toBe(1);
      expect([1002, 1009]).toContain(s.errors[0]![0]);
      expect(s.bytes).toEqual([]);
    }
  });

  it(`never throws on random bytes (seed ${f.seed})`, () => {
    for (let i = 0; i < 3000; i++) {
      const s = sink();
      const p = new FrameParser(s, i % 2 === 0);
      expect(() => p.push(f.bytes(300))).not.toThrow();
    }
  });
});
