import { describe, expect, it } from 'vitest';
import { isCoreError } from '../rpc';
import { TESTED_UDP_REPLY, hex } from '../test/vless-fixtures';
import { UdpFrameDecoder, encodeUdpFrame, encodeUdpFrameHeader } from './vless-udp';

const text = (frames: readonly Buffer[]) => frames.map((b) => b.toString());

describe('encodeUdpFrame', () => {
  it('prefixes the payload with its big-endian length', () => {
    expect(encodeUdpFrame(Buffer.from('udp-ping'))).toEqual(TESTED_UDP_REPLY.subarray(2));
    expect(encodeUdpFrame(Buffer.alloc(0))).toEqual(hex('0000'));
    expect(encodeUdpFrame(Buffer.alloc(65535, 1)).subarray(0, 3)).toEqual(hex('ffff01'));
    expect(encodeUdpFrameHeader(258)).toEqual(hex('0102'));
  });

  it('refuses a payload over 65535 bytes', () => {
    let err: unknown;
    try {
      encodeUdpFrame(Buffer.alloc(65536));
    } catch (e) {
      err = e;
    }
    expect(isCoreError(err, 'E_PROTO_UNSUPPORTED')).toBe(true);
    expect((err as Error).message).toMatch(/at most 65535 bytes, got 65536/);
    expect(() => encodeUdpFrameHeader(70000)).toThrow(/65535/);
  });
});

describe('UdpFrameDecoder', () => {
  it('yields every frame of a chunk as views of it (the tested v2ray reply after its header)', () => {
    const d = new UdpFrameDecoder();
    const chunk = Buffer.concat([TESTED_UDP_REPLY.subarray(2), TESTED_UDP_REPLY.subarray(2), hex('0000')]);
    const frames = d.push(chunk);
    expect(text(frames)).toEqual(['udp-ping', 'udp-ping', '']);
    expect(frames[0]!.buffer).toBe(chunk.buffer);
    expect(d.pending).toBe(0);
  });

  it('carries a split length prefix and a split payload across chunks', () => {
    const d = new UdpFrameDecoder();
    expect(d.push(hex('00'))).toEqual([]);
    expect(d.pending).toBe(1);
    expect(d.push(hex('05 6865'))).toEqual([]);
    expect(d.pending).toBe(4);
    expect(d.push(Buffer.alloc(0))).toEqual([]);
    expect(text(d.push(hex('6c 6c 6f 0003 616263 00')))).toEqual(['hello', 'abc']);
    expect(d.pending).toBe(1);
    expect(text(d.push(hex('01 7a')))).toEqual(['z']);
    expect(d.pending).toBe(0);
  });

  it('gives the same frames for every way of cutting the stream in two and in single bytes', () => {
    const payloads = ['a', '', 'hello world', 'x'.repeat(300)].map((s) => Buffer.from(s));
    const stream = Buffer.concat(payloads.map(encodeUdpFrame));
    const want = payloads.map((p) => p.toString());
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new UdpFrameDecoder();
      const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(text(got), `cut at ${cut}`).toEqual(want);
      expect(d.pending).toBe(0);
    }
    const d = new UdpFrameDecoder();
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...d.push(stream.subarray(i, i + 1)));
    expect(text(got)).toEqual(want);
  });

  it('assembles a 65535-byte frame from many small chunks into one buffer, and reset drops it', () => {
    const payload = Buffer.alloc(65535);
    for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
    const stream = encodeUdpFrame(payload);
    const d = new UdpFrameDecoder();
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 1000) got.push(...d.push(stream.subarray(i, i + 1000)));
    expect(got).toHaveLength(1);
    expect(got[0]!.equals(payload)).toBe(true);
    d.push(hex('0010 01'));
    expect(d.pending).toBe(3);
    d.reset();
    expect(d.pending).toBe(0);
    expect(text(d.push(hex('0001 41')))).toEqual(['A']);
  });
});
