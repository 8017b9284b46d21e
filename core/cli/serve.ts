import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createApiServer, type ApiServer } from '../api/server';
import { loadConfigFile } from '../config/load';
import { Engine } from '../engine/engine';
import { toCoreError, type ConfigFile } from '../rpc';
import type { ServeArgs } from './args';
import { dashboardDir, dashboardUrl } from './dashboard';
import { ExitCode, type CliIo } from './io';
import { DEFAULT_LISTEN, defaultDataDir } from './paths';
import { removeServeFile, writeServeFile } from './serve-file';
import { moreVerbose, stderrLog } from './stderr-log';
import { resolveToken } from './token';
import { relaydeskVersion } from './version';

/**
 * `relaydesk serve`: engine + API + dashboard until SIGINT/SIGTERM. Resolves with the exit
 * code: 0 after a clean shutdown, 1 when the data dir or the address is taken, 2 for an
 * invalid --config (nothing is changed then).
 */
export async function serveCommand(args: ServeArgs, io: CliIo): Promise<number> {
  const stop = io.stopSignal();
  try {
    return await serve(args, io, stop.signal);
  } finally {
    stop.dispose();
  }
}

async function serve(args: ServeArgs, io: CliIo, stopSignal: Promise<string>): Promise<number> {
  const fail = (message: string, code: number): number => {
    io.err(`relaydesk: ${message}\n`);
    return code;
  };
  const dataDir = resolve(args.dataDir ?? defaultDataDir(io.env));
  const listen = args.listen ?? DEFAULT_LISTEN;
  const level = args.logLevel ?? 'info';
  const version = relaydeskVersion();

  let config: ConfigFile | undefined;
  if (args.config !== undefined) {
    try {
      config = loadConfigFile(args.config);
    } catch (err) {
      return fail(toCoreError(err).message, ExitCode.USAGE);
    }
  }
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    return fail(`cannot create data dir ${dataDir}: ${(err as Error).message}`, ExitCode.FAILURE);
  }

  let engine: Engine;
  try {
    engine = await Engine.open({ dataDir, version, seedDefaults: config === undefined, logEcho: stderrLog(level, io.err) });
  } catch (err) {
    return fail(toCoreError(err).message, ExitCode.FAILURE);
  }
  // The engine keeps its own (persisted) level; a more verbose --log-level is let through for this run.
  if (moreVerbose(level, engine.getSettings().logLevel)) engine.logs.setLevel(level);

  let api: ApiServer | undefined;
  let serveFileWritten = false;
  const shutdown = async (): Promise<void> => {
    await api?.close().catch((err) => engine.log.warn(`closing the API failed: ${(err as Error).message}`));
    if (serveFileWritten) removeServeFile(dataDir, process.pid);
    await engine.close();
  };

  try {
    if (config) {
      const r = await engine.applyConfig(config).catch((err) => {
        const e = toCoreError(err);
        if (e.code === 'E_CONFIG_INVALID') e.message = `${args.config}: ${e.message}`;
        throw e;
      });
      engine.log.info(`applied ${args.config}: ${r.created.length} created, ${r.updated.length} updated, ${r.deleted.length} deleted`);
    }
    const token = resolveToken({ flag: args.token, env: io.env.RELAYDESK_TOKEN, dataDir, create: true });
    const staticDir = dashboardDir(io.env);
    if (!staticDir) engine.log.warn('the dashboard is not built (npm run build); serving the API only');
    api = createApiServer({ engine, listen, token, staticDir, log: engine.logs.logger('api') });
    const bound = await api.start();
    writeServeFile(dataDir, { listen: bound, pid: process.pid });
    serveFileWritten = true;
    io.out(`RelayDesk ${version} — dashboard: ${dashboardUrl(bound, token)}\n`);
    const master = engine.getSettings().masterApi;
    if (master.enabled) io.out(`NodePass master API: http://${bound}${master.prefix}/v1 (X-API-Key: ${master.key})\n`);
  } catch (err) {
    await shutdown();
    const e = toCoreError(err);
    const message = e.code.startsWith('E_LISTEN_') ? `cannot serve the API: ${e.message}` : e.message;
    return fail(message, e.code === 'E_CONFIG_INVALID' ? ExitCode.USAGE : ExitCode.FAILURE);
  }

  const signal = await stopSignal;
  engine.log.info(`${signal}: shutting down`);
  await shutdown();
  return ExitCode.OK;
}
