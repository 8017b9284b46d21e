import { describe, expect, it } from 'vitest';
import { DatagramDeframer, MAX_FRAMED_DATAGRAM, frameDatagram } from './udp-frames';

describe('UDP length frames', () => {
  it('round-trips datagrams split and joined at every byte boundary', () => {
    const datagrams = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(300, 7), Buffer.from('last')];
    const stream = Buffer.concat(datagrams.map((d) => frameDatagram(d)!));
    expect(stream.readUInt16BE(0)).toBe(1);
    for (let cut = 0; cut <= stream.length; cut++) {
      const out: Buffer[] = [];
      const d = new DatagramDeframer();
      d.push(stream.subarray(0, cut), (x) => out.push(Buffer.from(x)));
      d.push(stream.subarray(cut), (x) => out.push(Buffer.from(x)));
      expect(out).toEqual(datagrams);
    }
  });

  it('refuses a datagram over 65535 bytes', () => {
    expect(frameDatagram(Buffer.alloc(MAX_FRAMED_DATAGRAM))!.length).toBe(MAX_FRAMED_DATAGRAM + 2);
    expect(frameDatagram(Buffer.alloc(MAX_FRAMED_DATAGRAM + 1))).toBeNull();
  });
});
