import { z } from 'zod';
import { Id } from './common';
import { RelayUser } from './instance';

/**
 * Users of a VLESS relay (the users API). Users live in the relay's spec (`VlessInboundSpec.users`);
 * these methods change them live: no restart, other users' connections stay up.
 */

const Limit = z.number().int().positive().nullable();

/** A relay user with its live figures (zero/empty while the relay is stopped). */
export const UserView = RelayUser.extend({
  /** Live connections. */
  connections: z.number().int(),
  /** Distinct source IPs with live connections. */
  activeIps: z.array(z.string()),
  /** Bytes since the last quota reset (client → destination, destination → client). */
  usedUp: z.number(),
  usedDown: z.number(),
  /** When the quota counter was last zeroed (ms), null if never. */
  lastResetAt: z.number().nullable(),
  /**
   * `vless://` share links; host = the relay's listen host, or "127.0.0.1" when it listens on an
   * unspecified address (0.0.0.0, ::): put your public address there.
   */
  links: z.array(z.string()),
});
export type UserView = z.infer<typeof UserView>;

export const ListUsersInput = z.object({ instanceId: Id });
export const UserRefInput = z.object({ instanceId: Id, name: z.string().min(1).max(64) });
export type UserRefInput = z.infer<typeof UserRefInput>;

/** A new user; the uuid is generated when absent. */
export const CreateUserInput = z.object({
  instanceId: Id,
  user: RelayUser.extend({ uuid: RelayUser.shape.uuid.optional() }),
});

/** JSON merge patch of a user: omitted = keep, null = clear a nullable field. */
export const UserPatch = z.object({
  uuid: RelayUser.shape.uuid.optional(),
  email: z.string().max(254).nullable().optional(),
  enabled: z.boolean().optional(),
  expiresAt: z.number().int().nullable().optional(),
  quotaBytes: Limit.optional(),
  maxConnections: Limit.optional(),
  maxIps: Limit.optional(),
  upLimitBps: Limit.optional(),
  downLimitBps: Limit.optional(),
  resetDay: z.number().int().min(1).max(28).nullable().optional(),
});
export type UserPatch = z.infer<typeof UserPatch>;

export const UpdateUserInput = UserRefInput.extend({ patch: UserPatch });
/** New uuid (generated when absent); the user's live sessions are closed. */
export const RotateUserUuidInput = UserRefInput.extend({ uuid: RelayUser.shape.uuid.optional() });
/** Disabling closes the user's live sessions. */
export const SetUserEnabledInput = UserRefInput.extend({ enabled: z.boolean() });
export const DeleteUserResult = z.object({ name: z.string() });
