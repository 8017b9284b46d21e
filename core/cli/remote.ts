import { WebSocket } from 'ws';
import { connectCore, CoreError, formatHostPort, parseHostPort, webSocketChannel, type CoreApi, type CoreEvents, type Rpc } from '../rpc';
import { connectHost } from './paths';

export interface RunningEngine {
  api: CoreApi;
  close(): void;
}

/**
 * Connects to a running RelayDesk's /rpc at `listen` ("host:port" as serve recorded it) with
 * `token`. Rejects with E_RPC_CLOSED naming the address (and E_AUTH_FAILED for a refused token).
 */
export async function connectRunning(listen: string, token: string, timeoutMs = 10_000): Promise<RunningEngine> {
  const hp = parseHostPort(listen);
  if (!hp) throw new CoreError('E_CONFIG_INVALID', `bad API address "${listen}"`);
  const url = `ws://${formatHostPort(connectHost(hp.host), hp.port)}/rpc`;
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, handshakeTimeout: timeoutMs, maxPayload: 1 << 20 });
  let failure: Error | undefined;
  ws.on('error', (err) => { failure = err; });
  const rpc: Rpc<CoreApi, CoreEvents> = connectCore(webSocketChannel(ws), { timeoutMs });
  try {
    await rpc.ready;
  } catch (err) {
    rpc.close();
    ws.terminate();
    const why = failure?.message ?? (err as Error).message;
    if (/\b401\b/.test(why)) throw new CoreError('E_AUTH_FAILED', `the RelayDesk at ${url} refused the API token (pass --token or set RELAYDESK_TOKEN)`);
    throw new CoreError('E_RPC_CLOSED', `cannot reach the RelayDesk at ${url}: ${why}`, { cause: failure ?? err });
  }
  return { api: rpc.api, close: () => { rpc.close(); ws.terminate(); } };
}
