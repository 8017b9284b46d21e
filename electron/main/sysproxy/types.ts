/** One OS command as an argv array (no shell), and whether its failure may be ignored. */
export interface Command {
  argv: string[];
  /** A refresh/notify step: failing it leaves the settings written, so it is only logged. @default false */
  bestEffort?: boolean;
}

export interface ExecResult { stdout: string; stderr: string }

/**
 * Runs one command. Rejects with an ExecError: `code` "ENOENT" when the program is missing,
 * "EXIT" when it exited non-zero (with its stderr), "TIMEOUT" when it hung.
 */
export type Exec = (argv: readonly string[]) => Promise<ExecResult>;

export class ExecError extends Error {
  constructor(
    readonly code: 'ENOENT' | 'EXIT' | 'TIMEOUT',
    readonly argv: readonly string[],
    message: string,
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'ExecError';
  }
}

/** Where the system proxy should point: the local mixed proxy (HTTP and SOCKS5 on one port). */
export interface ProxyTarget {
  host: string;
  port: number;
}

/**
 * One way of configuring the OS proxy (GNOME gsettings, KDE kioslaverc, macOS networksetup,
 * Windows registry). `S` is a snapshot of the settings it touches, JSON-serializable so it can be
 * kept in prefs and restored exactly.
 */
export interface SysProxyDriver<S = unknown> {
  /** Stored with saved settings; a snapshot is only restored by the driver that read it. */
  readonly name: 'gnome' | 'kde' | 'macos' | 'windows';
  /** The program the settings depend on, named in errors ("gsettings not found"). */
  readonly tool: string;
  /** Reads the current settings (runs the OS tool). */
  read(exec: Exec): Promise<S>;
  /**
   * The commands that point the OS at `target` (enable) or turn the proxy off (disable, used
   * only when nothing was saved). `current` is what `read` returned (macOS needs its services).
   */
  plan(enable: boolean, opts: { target?: ProxyTarget; current: S }): Command[];
  /** The commands that put back `saved` exactly. */
  restore(saved: S, current: S): Command[];
  /** Whether `current` sends traffic to `target`. */
  pointsAt(current: S, target: ProxyTarget): boolean;
  /** Checks a value read from prefs before restoring it. */
  isSnapshot(value: unknown): value is S;
}

/** Hosts (and networks) that bypass the proxy, in each OS's own notation. */
export const BYPASS = {
  gnome: ['localhost', '127.0.0.0/8', '::1', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '*.local'],
  kde: ['localhost', '127.0.0.0/8', '::1', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '.local'],
  macos: ['localhost', '127.0.0.1', '::1', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254/16', '*.local'],
  windows: ['localhost', '127.*', '10.*', '172.16.*', '172.17.*', '172.18.*', '172.19.*', '172.20.*', '172.21.*',
    '172.22.*', '172.23.*', '172.24.*', '172.25.*', '172.26.*', '172.27.*', '172.28.*', '172.29.*', '172.30.*',
    '172.31.*', '192.168.*', '<local>'],
} as const;

/** "host:port" for proxies that take one string, bracketing IPv6 literals. */
export function hostPort(t: ProxyTarget): string {
  return t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

export const isStringRecord = (v: unknown): v is Record<string, string> =>
  !!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

export function requireTarget(target: ProxyTarget | undefined): ProxyTarget {
  if (!target) throw new Error('enabling the system proxy needs a target host and port');
  return target;
}
