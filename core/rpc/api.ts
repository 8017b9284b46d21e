import { z } from 'zod';
import { IdInput } from './schemas/common';
import { ApplyConfigResult, ConfigFile } from './schemas/config';
import { CreateInstanceInput, Instance, UpdateInstanceInput } from './schemas/instance';
import {
  CreateProfileInput, ImportProfilesInput, ImportResult, ImportSubscriptionInput, Latency, Profile,
  TestProfileInput, UpdateProfileInput,
} from './schemas/profile';
import { EngineInfo, Settings, SettingsPatch } from './schemas/settings';
import {
  CloseAllConnectionsInput, Connection, GetLogsInput, History, HistoryInput, ListConnectionsInput,
  LogEntry, StatsTick,
} from './schemas/stats';
import {
  CreateUserInput, DeleteUserResult, ListUsersInput, RotateUserUuidInput, SetUserEnabledInput, UpdateUserInput,
  UserRefInput, UserView,
} from './schemas/users';

interface MethodSchema<I extends z.ZodType, O extends z.ZodType> { input: I; output: O }
const method = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O): MethodSchema<I, O> => ({ input, output });
const NoInput = z.undefined().or(z.object({}).strict()).optional();

/**
 * The engine's one contract. Every method takes at most one object argument, validated with
 * `input` on the serving side; the same methods back the dashboard, the desktop shell and the
 * HTTP APIs.
 */
export const coreMethods = {
  /** Engine version, data dir, pid, uptime. */
  getInfo: method(NoInput, EngineInfo),

  /** All instances in creation order. */
  listInstances: method(NoInput, z.array(Instance)),
  /** One instance; E_NOT_FOUND if unknown. */
  getInstance: method(IdInput, Instance),
  /** Persists a new instance and (by default) starts it. E_CONFIG_CONFLICT on a taken id or name. */
  createInstance: method(CreateInstanceInput, Instance),
  /** Renames, toggles auto-start or replaces the spec (a running instance restarts). */
  updateInstance: method(UpdateInstanceInput, Instance),
  /** Stops and deletes an instance; its traffic history is kept. */
  deleteInstance: method(IdInput, IdInput),
  /** stopped|failed → starting → running (or failed with `error`). */
  startInstance: method(IdInput, Instance),
  /** running → stopping → stopped; live connections are closed. */
  stopInstance: method(IdInput, Instance),
  restartInstance: method(IdInput, Instance),
  /** Zeroes a tunnel instance's tcprx/tcptx/udprx/udptx; E_CONFIG_INVALID for other types. */
  resetInstanceTraffic: method(IdInput, Instance),

  /** Saved outbound profiles in creation order; a profile's id is its outbound tag. */
  listProfiles: method(NoInput, z.array(Profile)),
  /** E_CONFIG_CONFLICT on a taken id or name. */
  createProfile: method(CreateProfileInput, Profile),
  /** New connections use the new spec; live ones keep the old until they close. */
  updateProfile: method(UpdateProfileInput, Profile),
  /** E_CONFIG_CONFLICT while routing settings name it (rules, final, globalOutbound). */
  deleteProfile: method(IdInput, IdInput),
  /** Imports `vless://` links (one per line) or a subscription body. */
  importProfiles: method(ImportProfilesInput, ImportResult),
  /** Fetches a subscription URL (base64 or plain list) and imports it. */
  importSubscription: method(ImportSubscriptionInput, ImportResult),
  /** The profile as a share link (`vless://…`; socks profiles as `socks://…`). */
  exportProfileLink: method(IdInput, z.object({ link: z.string() })),
  /** TCP connect time to the server and an HTTP request through the outbound; stored on the profile. */
  testProfile: method(TestProfileInput, Latency),

  getSettings: method(NoInput, Settings),
  /** Top-level keys replace; routing changes apply to new connections at once. */
  updateSettings: method(SettingsPatch, Settings),

  listConnections: method(ListConnectionsInput, z.array(Connection)),
  /** Closes one live connection; E_NOT_FOUND if it is gone. */
  closeConnection: method(z.object({ id: z.string().min(1) }), z.object({ id: z.string() })),
  closeAllConnections: method(CloseAllConnectionsInput, z.object({ closed: z.number() })),

  /** The latest 1 Hz tick. */
  getStats: method(NoInput, StatsTick),
  /** Traffic history: 1 s buckets for 1 h, 1 min for 24 h, 1 h for 90 days. */
  getHistory: method(HistoryInput, History),
  /** Zeroes the cumulative counters (all scopes) without touching history. */
  resetCounters: method(NoInput, z.object({ ok: z.literal(true) })),

  /** Recent log entries from the ring buffer, oldest first. */
  getLogs: method(GetLogsInput, z.array(LogEntry)),

  /** The current state as a configuration file. */
  exportConfig: method(NoInput, ConfigFile),
  /** Applies a configuration file (validated as a whole before anything changes). */
  applyConfig: method(ConfigFile, ApplyConfigResult),

  /** Users of a VLESS relay (spec order) with live figures; E_CONFIG_INVALID if not a vless relay. */
  listUsers: method(ListUsersInput, z.array(UserView)),
  /** E_NOT_FOUND for an unknown instance or user. */
  getUser: method(UserRefInput, UserView),
  /** Applied live (no restart). E_CONFIG_CONFLICT on a taken name or uuid. */
  createUser: method(CreateUserInput, UserView),
  /** JSON merge patch, applied live; a uuid change or disabling closes the user's sessions. */
  updateUser: method(UpdateUserInput, UserView),
  /** Applied live; the user's sessions are closed. */
  deleteUser: method(UserRefInput, DeleteUserResult),
  rotateUserUuid: method(RotateUserUuidInput, UserView),
  setUserEnabled: method(SetUserEnabledInput, UserView),
  /** Zeroes the quota counter now; E_STATE_TRANSITION while the relay is not running. */
  resetUserQuota: method(UserRefInput, UserView),
};

/** A table of methods, each with its input and output schema. */
export type MethodTable = Record<string, { input: z.ZodType; output: z.ZodType }>;

/** What a caller of `T` sees: promise-returning methods taking the unparsed input. */
export type RemoteApi<T extends MethodTable> = {
  [M in keyof T]: undefined extends z.input<T[M]['input']>
    ? (input?: z.input<T[M]['input']>) => Promise<z.output<T[M]['output']>>
    : (input: z.input<T[M]['input']>) => Promise<z.output<T[M]['output']>>;
};

/** What the serving side of `T` implements: parsed input in, output (or its promise) out. */
export type ApiImpl<T extends MethodTable> = {
  [M in keyof T]: (input: z.output<T[M]['input']>) => z.output<T[M]['output']> | Promise<z.output<T[M]['output']>>;
};

export type CoreMethods = typeof coreMethods;
export type CoreMethodName = keyof CoreMethods;
export type MethodInput<M extends CoreMethodName> = z.input<CoreMethods[M]['input']>;
export type MethodParsed<M extends CoreMethodName> = z.output<CoreMethods[M]['input']>;
export type MethodOutput<M extends CoreMethodName> = z.output<CoreMethods[M]['output']>;
export type CoreApi = RemoteApi<CoreMethods>;
export type CoreApiImpl = ApiImpl<CoreMethods>;

/** Pushes from the engine. A peer receives only the events it subscribed to. */
export interface CoreEvents {
  /** Once a second. */
  stats: StatsTick;
  /** An instance was created, changed or changed state. */
  instance: Instance;
  instanceRemoved: { id: string };
  /** A log entry at or above the configured level. */
  log: LogEntry;
  settings: Settings;
  /** A profile was created or changed (name, spec, latency). */
  profile: Profile;
  profileRemoved: { id: string };
}
export type CoreEventName = keyof CoreEvents;
