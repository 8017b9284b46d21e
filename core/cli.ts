// The `relaydesk` command (bundled to dist/cli.js; bin/relaydesk.js loads it).
import { processIo } from './cli/io';
import { runCli } from './cli/run';

const io = processIo();

function finish(code: number): void {
  process.exitCode = code;
  // Exit naturally once stdout drains; a straggling handle must not keep a stopped CLI alive.
  setTimeout(() => process.exit(code), 2000).unref();
}

runCli(process.argv.slice(2), io).then(finish, (err: unknown) => {
  io.err(`relaydesk: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  finish(1);
});
