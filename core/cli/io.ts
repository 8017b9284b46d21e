/** What a command may touch of the process: output streams, environment, stop signals. */
export interface CliIo {
  /** Writes to stdout (text as given; add "\n" yourself). */
  out(text: string): void;
  /** Writes to stderr. */
  err(text: string): void;
  env: Record<string, string | undefined>;
  /**
   * Starts listening for SIGINT/SIGTERM and resolves with the first signal's name. Call it
   * early (a signal during startup is remembered); `dispose` removes the handlers.
   */
  stopSignal(): { signal: Promise<string>; dispose(): void };
}

/** Exit codes; documented in `relaydesk --help`. */
export const ExitCode = {
  OK: 0,
  /** Runtime failure: data dir in use, address in use, store error, peer unreachable. */
  FAILURE: 1,
  /** Usage error or invalid configuration file. */
  USAGE: 2,
} as const;

/** The real process: stdout, stderr, process.env and POSIX signals. */
export function processIo(): CliIo {
  return {
    out: (text) => { process.stdout.write(text); },
    err: (text) => { process.stderr.write(text); },
    env: process.env,
    stopSignal() {
      const signals: NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT', 'SIGTERM', 'SIGBREAK'] : ['SIGINT', 'SIGTERM'];
      let first: string | null = null;
      let resolveFn!: (s: string) => void;
      const signal = new Promise<string>((r) => { resolveFn = r; });
      const onSignal = (name: NodeJS.Signals): void => {
        if (first === null) {
          first = name;
          resolveFn(name);
          return;
        }
        // A second signal while shutting down: the user wants out now.
        process.stderr.write(`relaydesk: ${name} again, exiting without a clean shutdown\n`);
        process.exit(ExitCode.FAILURE);
      };
      for (const s of signals) process.on(s, onSignal);
      return { signal, dispose: () => { for (const s of signals) process.off(s, onSignal); } };
    },
  };
}
