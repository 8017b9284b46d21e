import { createHash, randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';

/**
 * RFC 6455 framing for the WebSocket data path: bytes go out as binary frames and come back as
 * the payloads of any data frames, without buffering whole messages. Payloads are handed on as
 * views of the socket's own chunks (unmasked in place), so a frame costs no copy on receipt; a
 * masked frame (client side) costs one pass that copies and masks into the outgoing buffer.
 */

export const OP_CONT = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The Sec-WebSocket-Accept value for a Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

type MaskFn = (source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number) => void;
type UnmaskFn = (buffer: Buffer, mask: Buffer) => void;

/** bufferutil's native (SIMD-width) masking when installed, else a JS loop. */
const native = ((): { mask: MaskFn; unmask: UnmaskFn } | null => {
  try {
    return createRequire(import.meta.url)('bufferutil') as { mask: MaskFn; unmask: UnmaskFn };
  } catch {
    return null;
  }
})();

function jsMask(source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number): void {
  for (let i = 0; i < length; i++) output[offset + i] = source[i]! ^ mask[i & 3]!;
}

function jsUnmask(buffer: Buffer, mask: Buffer): void {
  for (let i = 0; i < buffer.length; i++) buffer[i]! ^= mask[i & 3]!;
}

const maskInto: MaskFn = native ? (s, m, o, off, len) => (len < 32 ? jsMask(s, m, o, off, len) : native.mask(s, m, o, off, len)) : jsMask;
const unmaskInPlace: UnmaskFn = native ? (b, m) => (b.length < 32 ? jsUnmask(b, m) : native.unmask(b, m)) : jsUnmask;

function headerLength(len: number, masked: boolean): number {
  return (len < 126 ? 2 : len < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

function writeHeader(out: Buffer, opcode: number, len: number, masked: boolean): number {
  out[0] = 0x80 | opcode;
  const m = masked ? 0x80 : 0;
  if (len < 126) {
    out[1] = m | len;
    return 2;
  }
  if (len < 65536) {
    out[1] = m | 126;
    out.writeUInt16BE(len, 2);
    return 4;
  }
  out[1] = m | 127;
  out.writeUInt32BE(Math.floor(len / 0x1_0000_0000), 2);
  out.writeUInt32BE(len >>> 0, 6);
  return 10;
}

/** A random masking key per frame, drawn from a refilled pool (RFC 6455 §5.3). */
const keyPool = Buffer.allocUnsafe(4096);
let keyPos = keyPool.length;

/**
 * One frame with FIN set. Server side (`masked` false): the header alone (send `payload` after it,
 * e.g. with cork/writev, no copy). Client side: header, key and masked payload in one new buffer.
 */
export function encodeFrame(opcode: number, payload: Buffer, masked: boolean): Buffer {
  const len = payload.length;
  const head = headerLength(len, masked);
  if (!masked) {
    const out = Buffer.allocUnsafe(head);
    writeHeader(out, opcode, len, false);
    return out;
  }
  if (keyPos + 4 > keyPool.length) {
    randomFillSync(keyPool);
    keyPos = 0;
  }
  const out = Buffer.allocUnsafe(head + len);
  const at = writeHeader(out, opcode, len, true);
  keyPool.copy(out, at, keyPos, keyPos + 4);
  const key = out.subarray(at, at + 4);
  keyPos += 4;
  maskInto(payload, key, out, head, len);
  return out;
}

/** What the parser reports. */
export interface FrameSink {
  /** Payload bytes of a data frame (text, binary or continuation), in order; a view to keep or copy. */
  data(bytes: Buffer): void;
  /** A complete control frame (close, ping, pong) with its unmasked payload (≤ 125 bytes). */
  control(opcode: number, payload: Buffer): void;
  /** A protocol violation: the connection must be closed with `code` (1002, 1009). */
  error(code: number, message: string): void;
}

const enum S { Head, Payload, Failed }

/**
 * Incremental frame parser. `requireMask`: a server refuses unmasked client frames (and a client
 * masked server frames), as RFC 6455 §5.1 says. Data payloads stream through as they arrive.
 */
export class FrameParser {
  private state = S.Head;
  /** Header bytes of a frame split across chunks (≤ 14). */
  private partial: Buffer | null = null;
  private opcode = 0;
  private remaining = 0;
  private masked = false;
  /** The frame's key rotated by what was already unmasked, so a split payload unmasks in parts. */
  private readonly key = Buffer.alloc(4);
  private readonly rotated = Buffer.alloc(4);
  private done = 0;
  private control: Buffer[] = [];

  constructor(private readonly sink: FrameSink, private readonly requireMask: boolean) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    let i = 0;
    if (this.partial) {
      buf = Buffer.concat([this.partial, chunk]);
      this.partial = null;
    }
    while (i < buf.length && this.state !== S.Failed) {
      if (this.state === S.Head) {
        const used = this.header(buf, i);
        if (used < 0) return;
        if (used === 0) {
          this.partial = Buffer.from(buf.subarray(i));
          return;
        }
        i += used;
        if (this.remaining === 0) this.frameDone(Buffer.alloc(0));
        continue;
      }
      const take = Math.min(this.remaining, buf.length - i);
      const part = buf.subarray(i, i + take);
      i += take;
      this.payload(part);
    }
  }

  /** Parses a header at buf[i]; returns its length, or 0 when incomplete. */
  private header(buf: Buffer, i: number): number {
    const avail = buf.length - i;
    if (avail < 2) return 0;
    const b0 = buf[i]!;
    const b1 = buf[i + 1]!;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    let len = b1 & 0x7f;
    let at = 2;
    if (len === 126) at = 4;
    else if (len === 127) at = 10;
    const need = at + (masked ? 4 : 0);
    if (avail < need) return 0;
    if ((b0 & 0x70) !== 0) return this.fail(1002, 'reserved bits set (no extension was negotiated)');
    if (opcode >= 0x3 && opcode <= 0x7 || opcode > 0xa) return this.fail(1002, `unknown opcode ${opcode}`);
    if (masked !== this.requireMask) return this.fail(1002, masked ? 'masked frame from the server' : 'unmasked frame from the client');
    if (len === 126) len = buf.readUInt16BE(i + 2);
    else if (len === 127) {
      const hi = buf.readUInt32BE(i + 2);
      if (hi > 0x1f_ffff) return this.fail(1009, 'frame too large');
      len = hi * 0x1_0000_0000 + buf.readUInt32BE(i + 6);
    }
    if (opcode >= 0x8 && (len > 125 || (b0 & 0x80) === 0)) return this.fail(1002, 'bad control frame');
    if (masked) buf.copy(this.key, 0, i + at, i + at + 4);
    this.opcode = opcode;
    this.masked = masked;
    this.remaining = len;
    this.done = 0;
    this.state = S.Payload;
    return need;
  }

  private payload(part: Buffer): void {
    if (this.masked) {
      if ((this.done & 3) === 0) unmaskInPlace(part, this.key);
      else {
        const r = this.done & 3;
        for (let k = 0; k < 4; k++) this.rotated[k] = this.key[(k + r) & 3]!;
        unmaskInPlace(part, this.rotated);
      }
    }
    this.done += part.length;
    this.remaining -= part.length;
    if (this.opcode < 0x8) {
      if (part.length > 0) this.sink.data(part);
      if (this.remaining === 0) this.state = S.Head;
      return;
    }
    this.control.push(Buffer.from(part));
    if (this.remaining === 0) this.frameDone(Buffer.concat(this.control));
  }

  private frameDone(payload: Buffer): void {
    this.state = S.Head;
    this.control = [];
    if (this.opcode >= 0x8) this.sink.control(this.opcode, payload);
  }

  private fail(code: number, message: string): number {
    this.state = S.Failed;
    this.sink.error(code, message);
    return -1;
  }
}

/** The payload of a close frame with `code` (and no reason). */
export function closePayload(code: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(code, 0);
  return b;
}
