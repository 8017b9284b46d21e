/**
 * Error codes that travel across every boundary (RPC, HTTP APIs, UI).
 * Families: E_RPC_* transport of calls, E_CONFIG_* invalid input, E_STATE_* lifecycle,
 * E_LISTEN_* binding a port, E_DIAL_* reaching a destination, E_AUTH_* credentials,
 * E_PROTO_* peers speaking the wrong bytes, E_ROUTE_* routing decisions, E_STORE_* persistence.
 * The UI switches on the code; the message is for people.
 */
export const ErrorCodes = [
  'E_RPC_TIMEOUT', 'E_RPC_CLOSED', 'E_RPC_VERSION', 'E_RPC_METHOD', 'E_RPC_BAD_MESSAGE',
  'E_CONFIG_INVALID', 'E_CONFIG_CONFLICT', 'E_NOT_FOUND',
  'E_STATE_TRANSITION',
  'E_LISTEN_ADDRINUSE', 'E_LISTEN_ACCESS', 'E_LISTEN_ADDRNOTAVAIL', 'E_LISTEN_FAILED',
  'E_DIAL_REFUSED', 'E_DIAL_UNREACHABLE', 'E_DIAL_NETWORK', 'E_DIAL_DNS', 'E_DIAL_TIMEOUT',
  'E_DIAL_RESET', 'E_DIAL_FAILED',
  'E_AUTH_REQUIRED', 'E_AUTH_FAILED',
  'E_PROTO_BAD_HANDSHAKE', 'E_PROTO_UNSUPPORTED', 'E_PROTO_TIMEOUT',
  'E_ROUTE_BLOCKED',
  'E_STORE_LOCKED', 'E_STORE_CORRUPT', 'E_STORE_FAILED',
  'E_INTERNAL',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

/** The wire form of an error: what an RPC `err` message and HTTP error bodies carry. */
export interface WireError {
  code: ErrorCode;
  message: string;
  data?: unknown;
}

/** An error with a stable code. Context is added at each boundary by wrapping with `cause`. */
export class CoreError extends Error {
  readonly code: ErrorCode;
  readonly data?: unknown;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; data?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CoreError';
    this.code = code;
    this.data = options.data;
  }

  toWire(): WireError {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }

  static fromWire(e: WireError): CoreError {
    const code = (ErrorCodes as readonly string[]).includes(e.code) ? e.code : 'E_INTERNAL';
    return new CoreError(code as ErrorCode, String(e.message), { data: e.data });
  }
}

export function isCoreError(err: unknown, code?: ErrorCode): err is CoreError {
  return err instanceof CoreError && (code === undefined || err.code === code);
}

/** Any thrown value as a CoreError; unknown errors become E_INTERNAL with their message. */
export function toCoreError(err: unknown): CoreError {
  if (err instanceof CoreError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CoreError('E_INTERNAL', message, { cause: err });
}
