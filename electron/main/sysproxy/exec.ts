import { execFile } from 'node:child_process';
import { ExecError, type Exec } from './types';

export interface ExecOptions {
  /** Environment of the commands. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** A command still running after this is killed. @default 10000 */
  timeoutMs?: number;
}

/** Runs commands with child_process.execFile (no shell), mapping failures to ExecError codes. */
export function createExec(options: ExecOptions = {}): Exec {
  const { env = process.env, timeoutMs = 10_000 } = options;
  return (argv) => new Promise((resolve, reject) => {
    const [file, ...args] = argv;
    execFile(file, args, { env, timeout: timeoutMs, windowsHide: true, encoding: 'utf8', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (!err) { resolve({ stdout, stderr }); return; }
      const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
      if (e.code === 'ENOENT') reject(new ExecError('ENOENT', argv, `${file} not found`));
      else if (e.killed) reject(new ExecError('TIMEOUT', argv, `${file} did not finish within ${timeoutMs} ms`, stderr));
      else reject(new ExecError('EXIT', argv, `${argv.slice(0, 3).join(' ')} failed: ${(stderr || e.message).trim()}`, stderr));
    });
  });
}
