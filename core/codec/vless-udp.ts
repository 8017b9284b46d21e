import { CoreError } from '../rpc';

/**
 * VLESS UDP (command 2) framing: after the header, every datagram in both directions is
 * `[uint16 BE length][payload]` (PROTOCOLS.md §5.5). One destination per connection.
 */

export const MAX_UDP_FRAME_PAYLOAD = 0xffff;

const NONE: readonly Buffer[] = Object.freeze([]) as readonly Buffer[];

/** A fresh buffer holding the length prefix and the payload; throws E_PROTO_UNSUPPORTED over 65535 bytes. */
export function encodeUdpFrame(payload: Buffer): Buffer {
  checkLength(payload.length);
  const out = Buffer.allocUnsafe(2 + payload.length);
  out.writeUInt16BE(payload.length, 0);
  payload.copy(out, 2);
  return out;
}

/** Just the 2-byte prefix, for callers that write prefix and payload separately (writev/cork). */
export function encodeUdpFrameHeader(length: number): Buffer {
  checkLength(length);
  const out = Buffer.allocUnsafe(2);
  out.writeUInt16BE(length, 0);
  return out;
}

/**
 * Splits a byte stream into datagrams. A frame that lies inside one chunk is returned as a view
 * of that chunk (no copy); a frame split across chunks is assembled into one buffer of its
 * final size, so every byte is copied at most once.
 */
export class UdpFrameDecoder {
  /** First byte of a length prefix split across chunks, or -1. */
  private halfLength = -1;
  /** The frame being assembled across chunks, and how much of it has arrived. */
  private partial: Buffer | null = null;
  private filled = 0;

  /** Complete payloads (possibly empty ones) in order; the returned array is not to be modified. */
  push(chunk: Buffer): readonly Buffer[] {
    let out: Buffer[] | null = null;
    let at = 0;
    if (this.partial) {
      const partial = this.partial;
      const n = Math.min(partial.length - this.filled, chunk.length);
      chunk.copy(partial, this.filled, 0, n);
      this.filled += n;
      at = n;
      if (this.filled < partial.length) return NONE;
      this.partial = null;
      out = [partial];
    } else if (this.halfLength >= 0 && chunk.length > 0) {
      const len = (this.halfLength << 8) | chunk[0]!;
      this.halfLength = -1;
      at = this.take(chunk, 1, len);
      if (at < 0) return NONE;
      out = [chunk.subarray(1, at)];
    }
    while (at < chunk.length) {
      if (chunk.length - at < 2) {
        this.halfLength = chunk[at]!;
        break;
      }
      const start = at + 2;
      const end = this.take(chunk, start, chunk.readUInt16BE(at));
      if (end < 0) break;
      (out ??= []).push(chunk.subarray(start, end));
      at = end;
    }
    return out ?? NONE;
  }

  /** Bytes held of a frame not yet complete (0 at a frame boundary: a clean place to end). */
  get pending(): number {
    if (this.partial) return 2 + this.filled;
    return this.halfLength >= 0 ? 1 : 0;
  }

  /** Drops any partial frame. */
  reset(): void {
    this.halfLength = -1;
    this.partial = null;
    this.filled = 0;
  }

  /** The end of a frame of `len` bytes starting at `start`, or -1 after keeping its start for later. */
  private take(chunk: Buffer, start: number, len: number): number {
    if (chunk.length - start >= len) return start + len;
    const partial = Buffer.allocUnsafe(len);
    this.filled = chunk.copy(partial, 0, start);
    this.partial = partial;
    return -1;
  }
}

function checkLength(length: number): void {
  if (length > MAX_UDP_FRAME_PAYLOAD) {
    throw new CoreError('E_PROTO_UNSUPPORTED', `a VLESS UDP payload is at most ${MAX_UDP_FRAME_PAYLOAD} bytes, got ${length}`);
  }
}
