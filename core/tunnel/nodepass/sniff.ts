import type { Socket } from 'node:net';
import type { NodePassParams } from '../../codec/nodepass-url';

const HTTP_METHODS = ['GET ', 'POST ', 'HEAD ', 'PUT ', 'DELETE ', 'OPTIONS ', 'CONNECT ', 'PATCH ', 'TRACE '];

/** Whether any protocol is blocked, i.e. the first bytes must be read before dialing. */
export function blocksAny(block: NodePassParams['block']): boolean {
  return block.socks || block.http || block.tls;
}

/**
 * The blocked protocol the first bytes of a connection belong to, or null: SOCKS 4/5 (first byte
 * 0x04/0x05), an HTTP/1 request line (a method and a space), a TLS handshake record (0x16 0x03).
 */
export function sniffBlocked(head: Buffer, block: NodePassParams['block']): 'socks' | 'http' | 'tls' | null {
  if (head.length === 0) return null;
  const b0 = head[0]!;
  if (block.socks && (b0 === 0x04 || b0 === 0x05)) return 'socks';
  if (block.tls && b0 === 0x16 && head[1] === 0x03) return 'tls';
  if (block.http && b0 >= 0x41 && b0 <= 0x5a) {
    const text = head.toString('latin1', 0, Math.min(head.length, 8));
    if (HTTP_METHODS.some((m) => text.startsWith(m) || m.startsWith(text))) return 'http';
  }
  return null;
}

/**
 * When `block` names a protocol: waits for the first bytes of `sock` (up to timeoutMs), refuses
 * a blocked protocol (badHandshake "blocked-<kind>", socket destroyed) and otherwise calls `go`
 * with the bytes read (the socket paused). Without `block`, calls `go` at once.
 */
export function sniffThen(sock: Socket, block: NodePassParams['block'], onBlocked: (kind: string) => void, go: (head?: Buffer) => void, timeoutMs = 10_000): void {
  if (!blocksAny(block)) {
    go();
    return;
  }
  sock.on('error', () => {});
  sock.setTimeout(timeoutMs, () => sock.destroy());
  sock.once('data', (head: Buffer) => {
    sock.pause();
    sock.setTimeout(0);
    const kind = sniffBlocked(head, block);
    if (kind === null) {
      go(head);
      return;
    }
    onBlocked(kind);
    sock.destroy();
  });
}
