/**
 * Deterministic fuzzing helpers for the pure codecs: a seeded PRNG (failures name the seed and
 * the input, so they reproduce) and mutations of valid fixtures.
 */
export interface Fuzz {
  readonly seed: number;
  int(max: number): number;
  bytes(maxLen: number): Buffer;
  /** Text-ish bytes: mostly printable ASCII with CR, LF, SP, ':' and some high bytes. */
  textish(maxLen: number): Buffer;
  /** One to four random edits of `input`: flip, replace, insert, delete, truncate, duplicate. */
  mutate(input: Buffer): Buffer;
  pick<T>(items: readonly T[]): T;
}

export function fuzz(seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000)): Fuzz {
  let s = seed >>> 0 || 1;
  const next = () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const int = (max: number) => (max <= 0 ? 0 : next() % max);
  const TEXT = Buffer.from(' \r\n\r\n::  abcdefGHIJ0123456789/.-_[]%?#@\t\x00\x7f\xff', 'latin1');
  const f: Fuzz = {
    seed,
    int,
    pick: (items) => items[int(items.length)]!,
    bytes(maxLen) {
      const out = Buffer.allocUnsafe(int(maxLen + 1));
      for (let i = 0; i < out.length; i++) out[i] = int(256);
      return out;
    },
    textish(maxLen) {
      const out = Buffer.allocUnsafe(int(maxLen + 1));
      for (let i = 0; i < out.length; i++) out[i] = int(4) === 0 ? TEXT[int(TEXT.length)]! : 0x20 + int(95);
      return out;
    },
    mutate(input) {
      let buf = Buffer.from(input);
      const edits = 1 + int(4);
      for (let e = 0; e < edits; e++) {
        const at = int(buf.length + 1);
        switch (int(6)) {
          case 0:
            if (at < buf.length) buf[at] = buf[at]! ^ (1 << int(8));
            break;
          case 1:
            if (at < buf.length) buf[at] = int(256);
            break;
          case 2:
            buf = Buffer.concat([buf.subarray(0, at), Buffer.from([int(256)]), buf.subarray(at)]);
            break;
          case 3:
            buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1 + int(8))]);
            break;
          case 4:
            buf = buf.subarray(0, at);
            break;
          default:
            buf = Buffer.concat([buf, buf.subarray(at)]);
        }
      }
      return buf;
    },
  };
  return f;
}

/** Runs `check` on each generated input; an exception is rethrown naming the seed and the input. */
export function runFuzz(f: Fuzz, iterations: number, gen: (f: Fuzz, i: number) => Buffer, check: (input: Buffer) => void): void {
  for (let i = 0; i < iterations; i++) {
    const input = gen(f, i);
    try {
      check(input);
    } catch (err) {
      throw new Error(`fuzz seed ${f.seed}, iteration ${i}, input ${input.toString('hex')}: ${(err as Error).message}`, { cause: err });
    }
  }
}
