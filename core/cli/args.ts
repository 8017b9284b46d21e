import { parseArgs } from 'node:util';
import { LogLevel, parseHostPort } from '../rpc';

/** A command line that cannot be understood: printed with a hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ServeArgs {
  command: 'serve';
  help: boolean;
  dataDir?: string;
  listen?: string;
  config?: string;
  token?: string;
  logLevel?: LogLevel;
}

export interface ExportArgs {
  command: 'export';
  help: boolean;
  dataDir?: string;
  token?: string;
}

export type CliArgs =
  | ServeArgs
  | ExportArgs
  | { command: 'schema'; help: boolean }
  | { command: 'help' }
  | { command: 'version' };

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

const HELP: OptionSpec = { help: { type: 'boolean', short: 'h' } };
const COMMAND_OPTIONS: Record<'serve' | 'export' | 'schema', OptionSpec> = {
  serve: { ...HELP, 'data-dir': { type: 'string' }, listen: { type: 'string' }, config: { type: 'string' }, token: { type: 'string' }, 'log-level': { type: 'string' } },
  export: { ...HELP, 'data-dir': { type: 'string' }, token: { type: 'string' } },
  schema: HELP,
};

/** Parses `relaydesk <command> [options]`; throws UsageError. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('missing command');
  if (first === '-h' || first === '--help' || first === 'help') return { command: 'help' };
  if (first === '-v' || first === '--version' || first === 'version') return { command: 'version' };
  if (first.startsWith('-')) throw new UsageError(`unknown option ${first}`);
  if (first !== 'serve' && first !== 'export' && first !== 'schema') throw new UsageError(`unknown command "${first}"`);
  const values = parseOptions(first, rest);
  const help = values.help === true;
  const str = (k: string): string | undefined => values[k] as string | undefined;
  if (first === 'schema') return { command: 'schema', help };
  if (first === 'export') return { command: 'export', help, dataDir: str('data-dir'), token: str('token') };

  const listen = str('listen');
  if (listen !== undefined && !parseHostPort(listen)) throw new UsageError(`--listen: expected host:port, got "${listen}"`, first);
  const level = str('log-level');
  if (level !== undefined && !LogLevel.safeParse(level).success) {
    throw new UsageError(`--log-level: expected one of ${LogLevel.options.join(', ')}, got "${level}"`, first);
  }
  return { command: 'serve', help, dataDir: str('data-dir'), listen, config: str('config'), token: str('token'), logLevel: level as LogLevel | undefined };
}

function parseOptions(command: 'serve' | 'export' | 'schema', args: string[]): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args, options: COMMAND_OPTIONS[command], strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(describeParseError(err as Error & { code?: string }), command);
  }
}

/** node:util's messages are long and suggest "--"; say only what is wrong. */
function describeParseError(err: Error & { code?: string }): string {
  const quoted = /'([^']+)'/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': return `unknown option ${quoted ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const opt = /(--[\w-]+)/.exec(err.message)?.[1];
      if (!opt) return err.message;
      return err.message.includes('does not take') ? `option ${opt} does not take a value` : `option ${opt} needs a value`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': return `unexpected argument ${quoted ?? ''}`.trim();
    default: return err.message;
  }
}
