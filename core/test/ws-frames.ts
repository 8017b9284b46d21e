import { randomBytes } from 'node:crypto';

/** One client frame (masked with a random key), FIN and opcode as given (RFC 6455 §5.2). */
export function clientFrame(op: number, payload: Buffer, fin = true): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0, 0x80 | len]) : len < 65536 ? Buffer.from([0, 0x80 | 126, len >> 8, len & 255]) : Buffer.alloc(10);
  if (len >= 65536) {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  head[0] = (fin ? 0x80 : 0) | op;
  const mask = randomBytes(4);
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ mask[i & 3]!))]);
}

/** Unmasked server frames (lengths below 64 KiB) in the bytes received after the 101 head. */
export function serverFrames(b: Buffer): { op: number; payload: Buffer }[] {
  const out: { op: number; payload: Buffer }[] = [];
  for (let at = 0; at + 2 <= b.length;) {
    let len = b[at + 1]! & 0x7f;
    let head = 2;
    if (len === 126) {
      len = b.readUInt16BE(at + 2);
      head = 4;
    }
    out.push({ op: b[at]! & 0x0f, payload: b.subarray(at + head, at + head + len) });
    at += head + len;
  }
  return out;
}

/** An upgrade request head for `path` with a fresh key (and the key, to check the answer). */
export function upgradeRequest(path: string, extra = ''): { head: string; key: string } {
  const key = randomBytes(16).toString('base64');
  return {
    key,
    head: `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: ${key}\r\n`
      + `Sec-WebSocket-Version: 13\r\n${extra}\r\n`,
  };
}
