import { configJsonSchema } from '../config/schema';
import { parseCliArgs, UsageError } from './args';
import { exportCommand } from './export';
import { exportHelp, mainHelp, schemaHelp, serveHelp } from './help';
import { ExitCode, type CliIo } from './io';
import { defaultDataDir } from './paths';
import { serveCommand } from './serve';
import { relaydeskVersion } from './version';

/** Runs `relaydesk <argv>`; resolves with the process exit code (see --help). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const hint = err.command ? `relaydesk ${err.command} --help` : 'relaydesk --help';
    io.err(`relaydesk: ${err.message}\nRun '${hint}' for usage.\n`);
    return ExitCode.USAGE;
  }
  const dataDir = (): string => defaultDataDir(io.env);
  switch (args.command) {
    case 'help':
      io.out(mainHelp(dataDir()));
      return ExitCode.OK;
    case 'version':
      io.out(`${relaydeskVersion()}\n`);
      return ExitCode.OK;
    case 'schema':
      if (args.help) { io.out(schemaHelp()); return ExitCode.OK; }
      io.out(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      return ExitCode.OK;
    case 'export':
      if (args.help) { io.out(exportHelp()); return ExitCode.OK; }
      return exportCommand(args, io);
    case 'serve':
      if (args.help) { io.out(serveHelp(dataDir())); return ExitCode.OK; }
      return serveCommand(args, io);
  }
}
