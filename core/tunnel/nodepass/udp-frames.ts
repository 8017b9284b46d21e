/**
 * UDP datagrams over a pool connection, NodePass 2.x style: each datagram is a 2-byte big-endian
 * length followed by the payload. NodePass v1.14 writes datagrams raw (no boundaries on TCP);
 * we chose the 2.x framing, so the UDP part of a tunnel interoperates only with peers that frame.
 */

/** Largest datagram that fits a frame. */
export const MAX_FRAMED_DATAGRAM = 0xffff;

/** Header + payload of one frame; datagrams over 65535 bytes cannot be framed (null). */
export function frameDatagram(payload: Buffer): Buffer | null {
  if (payload.length > MAX_FRAMED_DATAGRAM) return null;
  const out = Buffer.allocUnsafe(2 + payload.length);
  out.writeUInt16BE(payload.length, 0);
  payload.copy(out, 2);
  return out;
}

/** Cuts a byte stream of frames back into datagrams. */
export class DatagramDeframer {
  private buf: Buffer = Buffer.alloc(0);

  /** Feeds bytes; calls `out` for every complete datagram (a view, valid during the call). */
  push(chunk: Buffer, out: (datagram: Buffer) => void): void {
    const b = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let off = 0;
    while (b.length - off >= 2) {
      const n = b.readUInt16BE(off);
      if (b.length - off - 2 < n) break;
      out(b.subarray(off + 2, off + 2 + n));
      off += 2 + n;
    }
    // Copy the remainder: the caller may reuse its read buffer.
    this.buf = off === b.length ? Buffer.alloc(0) : Buffer.from(b.subarray(off));
  }
}
