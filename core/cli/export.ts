import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Engine } from '../engine/engine';
import { isCoreError, toCoreError, type ConfigFile } from '../rpc';
import { DB_FILE } from '../store/store';
import type { ExportArgs } from './args';
import { ExitCode, type CliIo } from './io';
import { defaultDataDir } from './paths';
import { connectRunning } from './remote';
import { readServeFile } from './serve-file';
import { resolveToken } from './token';
import { relaydeskVersion } from './version';

/**
 * `relaydesk export`: prints the configuration file of a data dir. If a RelayDesk holds the
 * dir, asks it over /rpc (address from serve.json, token as for serve); else opens the
 * engine briefly.
 */
export async function exportCommand(args: ExportArgs, io: CliIo): Promise<number> {
  const dataDir = resolve(args.dataDir ?? defaultDataDir(io.env));
  // Opening the engine on an empty dir would mark it as initialised and skip the default proxy later.
  if (!existsSync(join(dataDir, DB_FILE))) {
    io.err(`relaydesk: no RelayDesk data in ${dataDir} (nothing to export)\n`);
    return ExitCode.FAILURE;
  }
  try {
    const config = await exportLocal(dataDir).catch((err) => {
      if (isCoreError(err, 'E_STORE_LOCKED')) return exportFromRunning(dataDir, args, io, err.message);
      throw err;
    });
    io.out(`${JSON.stringify(config, null, 2)}\n`);
    return ExitCode.OK;
  } catch (err) {
    io.err(`relaydesk: ${toCoreError(err).message}\n`);
    return ExitCode.FAILURE;
  }
}

async function exportLocal(dataDir: string): Promise<ConfigFile> {
  const engine = await Engine.open({ dataDir, version: relaydeskVersion(), seedDefaults: false, autoStart: false });
  try {
    return engine.exportConfig();
  } finally {
    await engine.close();
  }
}

async function exportFromRunning(dataDir: string, args: ExportArgs, io: CliIo, lockedMessage: string): Promise<ConfigFile> {
  const info = readServeFile(dataDir);
  if (!info) throw new Error(`${lockedMessage}, which does not serve an API to export from (stop it, or export from it)`);
  const token = resolveToken({ flag: args.token, env: io.env.RELAYDESK_TOKEN, dataDir });
  const running = await connectRunning(info.listen, token);
  try {
    return await running.api.exportConfig();
  } finally {
    running.close();
  }
}
