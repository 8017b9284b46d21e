import { randomFillSync } from 'node:crypto';
import { CONTROL_ID } from './pool';

/** Ids drawn per randomFillSync call (4 bytes each). */
export const POOL_ID_BATCH = 256;

/**
 * The server's pool connection ids: 4 random bytes each as 8 hex digits, cut from a buffer refilled
 * with randomFillSync every POOL_ID_BATCH ids (one crypto call per batch instead of one per
 * connection). Never CONTROL_ID, never an id in `live` (the ids still open).
 */
export class PoolIdSource {
  private readonly buf = Buffer.allocUnsafe(POOL_ID_BATCH * 4);
  private at = this.buf.length;

  next(live: ReadonlySet<string>): string {
    for (;;) {
      if (this.at >= this.buf.length) {
        randomFillSync(this.buf);
        this.at = 0;
      }
      const id = this.buf.toString('hex', this.at, this.at + 4);
      this.at += 4;
      if (id !== CONTROL_ID && !live.has(id)) return id;
    }
  }
}
