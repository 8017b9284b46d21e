import { MAX_HEAD_BYTES, encodeSimpleResponse, headerValue, parseRequestHead } from '../../codec/http1';
import { runGuarded, type Handshake } from './handshake';
import type { HttpFront } from './http-front';
import { serveConnect } from './http-tunnel';

/**
 * Serves one HTTP client from its first bytes: reads the first request head (bounded by
 * MAX_HEAD_BYTES and the handshake deadline), then either tunnels a CONNECT itself or hands the
 * connection, bytes read so far included, to node:http for absolute-form proxying.
 */
export function serveHttp(hs: Handshake, first: Buffer, front: HttpFront): void {
  const { socket } = hs;
  let buf = first;
  hs.phase = 'http-request';

  const step = () => {
    const r = parseRequestHead(buf);
    if (r.kind === 'incomplete') return;
    socket.off('data', onData);
    if (r.kind === 'invalid') {
      const reason = r.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
      hs.reject('http-request', r.reason, encodeSimpleResponse(r.status, reason, `RelayDesk: ${r.reason}.\n`));
      return;
    }
    socket.pause();
    if (r.method === 'CONNECT') {
      runGuarded(hs.env, socket, serveConnect({ env: hs.env, socket, hs }, r.target, headerValue(r.headers, 'proxy-authorization'), buf.subarray(r.end)));
      return;
    }
    hs.complete();
    front.accept(socket, buf);
  };

  const onData = (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    // A head can only have ended (or grown too large) with this chunk if it brought a line end.
    if (chunk.includes(10) || buf.length >= MAX_HEAD_BYTES) step();
  };

  socket.on('data', onData);
  step();
}
