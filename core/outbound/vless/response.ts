import { parseResponse, VLESS_VERSION } from '../../codec/vless';
import { CoreError } from '../../rpc';

/**
 * Strips the VLESS response header `[version][addons length][addons]` from the first bytes the
 * server sends. v2ray/Xray send it together with the first bytes of the destination's reply, so it
 * may arrive split across reads or followed by payload in the same read.
 */
export class ResponseReader {
  /** Bytes of the header consumed, known once `done`. */
  headerLength = 0;
  done = false;
  private held: Buffer | null = null;

  constructor(private readonly what: string, private readonly version = VLESS_VERSION) {}

  /**
   * Feeds bytes from the server: null while the header is incomplete, else the payload that
   * followed it in these bytes (possibly empty, a view of `chunk`). Throws E_DIAL_FAILED when
   * the bytes cannot be a VLESS response. Call only until it returned non-null.
   */
  feed(chunk: Buffer): Buffer | null {
    const buf = this.held === null ? chunk : Buffer.concat([this.held, chunk]);
    const r = parseResponse(buf, this.version);
    if (r.kind === 'incomplete') {
      this.held = buf;
      return null;
    }
    if (r.kind === 'invalid') {
      throw new CoreError('E_DIAL_FAILED', `${this.what}: the server's reply is not a VLESS response (${r.detail}) — not a VLESS server?`);
    }
    this.held = null;
    this.done = true;
    this.headerLength = r.headerLength;
    return buf.subarray(r.headerLength);
  }

  /** The error for a server that ended the connection (cleanly or not) before its response header. */
  closedEarly(cause?: Error): CoreError {
    const how = cause ? `reset the connection (${(cause as NodeJS.ErrnoException).code ?? cause.message})` : 'closed the connection';
    const got = this.held === null ? '' : ` after ${this.held.length} byte${this.held.length === 1 ? '' : 's'}`;
    return new CoreError(cause ? 'E_DIAL_RESET' : 'E_DIAL_FAILED',
      `${this.what}: VLESS server ${how} before replying${got} — wrong UUID, or the server could not reach the destination?`, { cause });
  }
}
