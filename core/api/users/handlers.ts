import { coreMethods, CoreError, type CoreMethodName, type MethodInput, type MethodOutput } from '../../rpc';
import type { UserView } from '../../rpc/schemas/users';
import type { EngineLike } from '../rpc-route';
import { ApiFail } from './envelope';
import { patchFromBody, revisionOf, secretOf, userInfo, uuidFromSecret } from './model';
import type { UsersRoute } from './routes';

/** One request's business part, after every check of the envelope passed. */
export interface UsersCall {
  route: UsersRoute;
  method: string;
  /** The parsed JSON object body (empty object when there was none). */
  body: Record<string, unknown>;
  /** `?instance=`, or null for the first VLESS relay. */
  instance: string | null;
  /** The If-Match value (trimmed, quotes stripped), or null. */
  ifMatch: string | null;
  readOnly: boolean;
}

export interface UsersResult {
  status: number;
  data: unknown;
  revision: string;
}

const USERNAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Runs a matched request against the engine's CoreApi users methods. */
export async function runUsersCall(engine: EngineLike, call: UsersCall): Promise<UsersResult> {
  const { route, body } = call;
  if (route.kind === 'health') {
    const id = await relayId(engine, call.instance, false);
    const users = id ? await invoke(engine, 'listUsers', { instanceId: id }) : [];
    return { status: 200, data: { status: 'ok', read_only: call.readOnly }, revision: revisionOf(users) };
  }
  const instanceId = (await relayId(engine, call.instance, true))!;
  const users = await invoke(engine, 'listUsers', { instanceId });
  if (call.method !== 'GET' && call.ifMatch !== null && call.ifMatch !== revisionOf(users)) {
    throw new ApiFail(409, 'revision_conflict', 'If-Match does not match the current revision');
  }
  const after = async (status: number, data: (fresh: UserView[]) => unknown): Promise<UsersResult> => {
    const fresh = await invoke(engine, 'listUsers', { instanceId });
    return { status, data: data(fresh), revision: revisionOf(fresh) };
  };
  const ref = (name: string) => ({ instanceId, name });
  switch (route.kind) {
    case 'summary': {
      const info = await engine.getInfo(undefined);
      const tick = await engine.getStats(undefined);
      return after(200, (fresh) => ({
        uptime_seconds: Math.floor((Date.now() - info.startedAt) / 1000),
        connections_total: tick.instances[instanceId]?.connections ?? 0,
        connections_bad_total: tick.badHandshakes,
        configured_users: fresh.length,
      }));
    }
    case 'activeIps':
      return after(200, (fresh) => sorted(fresh).filter((u) => u.activeIps.length > 0).map((u) => ({ username: u.name, active_ips: u.activeIps })));
    case 'users': {
      if (call.method === 'GET') return after(200, (fresh) => sorted(fresh).map(userInfo));
      const name = body.username;
      if (typeof name !== 'string' || !USERNAME.test(name)) throw new ApiFail(400, 'bad_request', 'username must be 1-64 of A-Z a-z 0-9 _ . -');
      if (users.some((u) => u.name === name)) throw new ApiFail(409, 'user_exists', `user "${name}" already exists`);
      const u = await invoke(engine, 'createUser', { instanceId, user: { name, ...patchFromBody(body, true) } as never });
      return after(201, () => ({ user: userInfo(u), secret: secretOf(u.uuid) }));
    }
    case 'user': {
      if (call.method === 'GET') return after(200, (fresh) => userInfo(find(fresh, route.name)));
      if (call.method === 'PATCH') {
        find(users, route.name);
        const u = await invoke(engine, 'updateUser', { ...ref(route.name), patch: patchFromBody(body, false) });
        return after(200, () => userInfo(u));
      }
      find(users, route.name);
      if (users.length === 1) throw new ApiFail(409, 'last_user_forbidden', 'the last user cannot be deleted');
      await invoke(engine, 'deleteUser', ref(route.name));
      return after(200, () => ({ username: route.name, in_runtime: true }));
    }
    case 'action': {
      find(users, route.name);
      if (route.action === 'rotate-secret') {
        const uuid = body.secret === undefined || body.secret === null ? undefined : uuidFromSecret(body.secret);
        const u = await invoke(engine, 'rotateUserUuid', { ...ref(route.name), uuid });
        return after(200, () => ({ user: userInfo(u), secret: secretOf(u.uuid) }));
      }
      if (route.action === 'reset-quota') {
        const u = await invoke(engine, 'resetUserQuota', ref(route.name));
        const at = u.lastResetAt ?? Date.now();
        return after(200, () => ({ username: u.name, used_bytes: 0, last_reset_epoch_secs: Math.floor(at / 1000) }));
      }
      const u = await invoke(engine, 'setUserEnabled', { ...ref(route.name), enabled: route.action === 'enable' });
      return after(200, () => userInfo(u));
    }
  }
}

/** The relay served: `?instance=`, else the first VLESS relay; null/404 when there is none. */
async function relayId(engine: EngineLike, instance: string | null, required: boolean): Promise<string | null> {
  if (instance !== null) return instance;
  const all = await engine.listInstances(undefined);
  const first = all.find((i) => i.spec.type === 'vless');
  if (!first && required) throw new ApiFail(404, 'not_found', 'no VLESS relay is configured');
  return first?.id ?? null;
}

function sorted(users: UserView[]): UserView[] {
  return [...users].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function find(users: UserView[], name: string): UserView {
  const u = users.find((x) => x.name === name);
  if (!u) throw new ApiFail(404, 'not_found', `user "${name}" not found`);
  return u;
}

/** Calls a CoreApi method with validated input; CoreErrors become telemt codes. */
async function invoke<M extends CoreMethodName>(engine: EngineLike, m: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const parsed = coreMethods[m].input.safeParse(input);
  if (!parsed.success) throw new ApiFail(400, 'bad_request', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  try {
    return await (engine[m] as (i: unknown) => MethodOutput<M> | Promise<MethodOutput<M>>)(parsed.data);
  } catch (err) {
    if (!(err instanceof CoreError)) throw err;
    switch (err.code) {
      case 'E_NOT_FOUND': throw new ApiFail(404, 'not_found', err.message);
      case 'E_CONFIG_CONFLICT': throw new ApiFail(409, 'user_exists', err.message);
      case 'E_CONFIG_INVALID': case 'E_STATE_TRANSITION': throw new ApiFail(400, 'bad_request', err.message);
      default: throw err;
    }
  }
}
