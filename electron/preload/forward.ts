/**
 * The preload's whole job: main sends MessagePorts over these IPC channels; the preload posts
 * each into the page as `{type: <channel>}` with the port transferred. Nothing else crosses.
 * (The names are DESKTOP_PORT_MESSAGES of core/rpc/desktop.ts, repeated here so the sandboxed
 * preload bundle stays free of zod; a test keeps them equal.)
 */
export const PORT_CHANNELS = ['relaydesk:core-port', 'relaydesk:desktop-port'] as const;

/** ipcRenderer, structurally: an IPC event carries the transferred ports. */
export interface PortIpc {
  on(channel: string, listener: (event: { ports: readonly unknown[] }) => void): unknown;
}

/** window.postMessage(message, targetOrigin, transfer). */
export type PostToPage = (message: { type: string }, targetOrigin: string, transfer: unknown[]) => void;

export function forwardPorts(ipc: PortIpc, postToPage: PostToPage): void {
  for (const channel of PORT_CHANNELS) {
    ipc.on(channel, (event) => {
      const port = event.ports[0];
      // The page is our own file:// document, whose origin is opaque ("null"): "*" is the only
      // target that reaches it; the page checks `event.source === window`.
      if (port) postToPage({ type: channel }, '*', [port]);
    });
  }
}
