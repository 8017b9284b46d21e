import { CoreError } from '../rpc';

const CORRUPT = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

/** Whether `err` is SQLite saying the file is damaged or not a database at all. */
export function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && [...CORRUPT].some((c) => code === c || code.startsWith(`${c}_`));
}

/** A store failure as a CoreError: CoreErrors pass through, SQLite errors get an E_STORE_* code. */
export function storeFailure(operation: string, err: unknown): CoreError {
  if (err instanceof CoreError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CoreError(isCorruption(err) ? 'E_STORE_CORRUPT' : 'E_STORE_FAILED', `store: ${operation} failed: ${message}`, { cause: err });
}
