import { randomBytes } from 'node:crypto';

/** 8 lowercase hex characters, like NodePass instance ids. */
export function newId(): string {
  return randomBytes(4).toString('hex');
}

/** Connection ids: a per-process counter in base 36, cheap on the hot path. */
export function connIdGenerator(): () => string {
  let n = 0;
  return () => (++n).toString(36);
}
