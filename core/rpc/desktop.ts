import { z } from 'zod';
import type { ApiImpl, RemoteApi } from './api';
import type { Channel } from './channel';
import type { EventSource } from './core';
import { createRpc, type Rpc } from './rpc';

/**
 * The desktop contract: what the Electron main process serves to each window over a second
 * MessagePort (the first one goes to the engine). Same style as `api.ts`: zod schemas, a method
 * table, and typed serve/connect helpers carried by createRpc.
 */

/**
 * The window messages the preload posts into the page, each with one MessagePort in `ports[0]`:
 * `core` is a session with the engine (CoreApi), `desktop` one with the shell (DesktopApi).
 * Main sends them to the preload over IPC channels of the same names.
 */
export const DESKTOP_PORT_MESSAGES = {
  core: 'relaydesk:core-port',
  desktop: 'relaydesk:desktop-port',
} as const;

export const Theme = z.enum(['system', 'light', 'dark']);
export type Theme = z.infer<typeof Theme>;

export const Language = z.enum(['system', 'en', 'zh-CN']);
export type Language = z.infer<typeof Language>;

/** Preferences of the desktop shell (kept in main's electron-store, not in the engine). */
export const DesktopPrefs = z.object({
  /** @default "system" */
  theme: Theme,
  /** @default "system" */
  language: Language,
  /** Closing the window hides it to the tray instead of quitting. @default true */
  closeToTray: z.boolean(),
  /** Start with the window hidden (tray only). @default false */
  startMinimized: z.boolean(),
});
export type DesktopPrefs = z.infer<typeof DesktopPrefs>;

/** Omitted keys are kept. */
export const DesktopPrefsPatch = DesktopPrefs.partial().strict();
export type DesktopPrefsPatch = z.input<typeof DesktopPrefsPatch>;

export const SystemProxyState = z.object({
  /** The OS proxy settings currently point at `host:port`. */
  enabled: z.boolean(),
  /** Where the system proxy points (or would point): the local mixed proxy; null when unknown. */
  host: z.string().nullable(),
  port: z.number().int().min(0).max(65535).nullable(),
  /** This OS/desktop can be configured (GNOME, KDE, macOS, Windows). */
  supported: z.boolean(),
  /** Why the last change or read failed, for people (e.g. "gsettings not found"). */
  error: z.string().optional(),
});
export type SystemProxyState = z.infer<typeof SystemProxyState>;

export const AutoStartState = z.object({
  /** RelayDesk starts (hidden) when the user logs in. */
  enabled: z.boolean(),
  supported: z.boolean(),
});
export type AutoStartState = z.infer<typeof AutoStartState>;

export const DesktopState = z.object({
  systemProxy: SystemProxyState,
  autoStart: AutoStartState,
  prefs: DesktopPrefs,
});
export type DesktopState = z.infer<typeof DesktopState>;

export const SetSystemProxyInput = z.object({
  enabled: z.boolean(),
  /** @default the local mixed proxy's host (wildcards become loopback) */
  host: z.string().trim().min(1).max(253).optional(),
  /** @default the local mixed proxy's port */
  port: z.number().int().min(1).max(65535).optional(),
}).strict();
export type SetSystemProxyInput = z.input<typeof SetSystemProxyInput>;

export const SetAutoStartInput = z.object({ enabled: z.boolean() }).strict();

interface MethodSchema<I extends z.ZodType, O extends z.ZodType> { input: I; output: O }
const method = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O): MethodSchema<I, O> => ({ input, output });
const NoInput = z.undefined().or(z.object({}).strict()).optional();

/** The shell's methods. Every call returns the resulting state, which is also pushed as `desktop`. */
export const desktopMethods = {
  /** System proxy, auto-start and preferences as they are now. */
  getDesktopState: method(NoInput, DesktopState),
  /**
   * Points the OS proxy settings at the local proxy (saving the user's previous settings first)
   * or restores the saved settings. E_STATE_TRANSITION when unsupported or no local proxy is known,
   * E_INTERNAL when the OS tool failed (the message says which).
   */
  setSystemProxy: method(SetSystemProxyInput, DesktopState),
  /** Registers or removes the login item / autostart entry. */
  setAutoStart: method(SetAutoStartInput, DesktopState),
  /** Merges preferences (theme, language, closeToTray, startMinimized). */
  updatePrefs: method(DesktopPrefsPatch, DesktopState),
  /** Quits the app: restores the system proxy we replaced, then stops the engine. */
  quit: method(NoInput, z.object({ ok: z.literal(true) })),
};

export type DesktopMethods = typeof desktopMethods;
export type DesktopMethodName = keyof DesktopMethods;
export type DesktopMethodParsed<M extends DesktopMethodName> = z.output<DesktopMethods[M]['input']>;
/** What the renderer sees. */
export type DesktopApi = RemoteApi<DesktopMethods>;
/** What main implements. */
export type DesktopApiImpl = ApiImpl<DesktopMethods>;

/** Pushes from the shell. */
export interface DesktopEvents {
  /** The desktop state changed (from any window, the tray, or the OS on refresh). */
  desktop: DesktopState;
}

/** The renderer side: a typed DesktopApi proxy plus `desktop` events. */
export function connectDesktop(channel: Channel, options: { timeoutMs?: number } = {}): Rpc<DesktopApi, DesktopEvents> {
  return createRpc<DesktopApi, DesktopEvents>({ channel, timeoutMs: options.timeoutMs });
}

/** The main side: answers with `impl` (inputs parsed by `desktopMethods`) and forwards `desktop`. */
export function serveDesktop(channel: Channel, impl: DesktopApiImpl, events: EventSource<DesktopEvents>): Rpc<unknown, unknown> {
  const serve: Record<string, (input: any) => unknown> = {};
  const parsers: Record<string, { parse(v: unknown): unknown }> = {};
  for (const name of Object.keys(desktopMethods) as DesktopMethodName[]) {
    serve[name] = (input) => (impl[name] as (i: unknown) => unknown).call(impl, input);
    parsers[name] = desktopMethods[name].input;
  }
  const rpc = createRpc<unknown, unknown>({ channel, serve, parsers });
  const detach = events.on('desktop', (data) => rpc.emit('desktop', data));
  rpc.onClose(() => detach());
  return rpc;
}
