import { isCoreError } from '../../core/rpc';

/** What the UI shows for a failed action: the stable code and the message for people. */
export interface ActionError {
  code: string;
  message: string;
}

/** Any thrown value as an ActionError; non-CoreErrors become E_INTERNAL. */
export function toActionError(err: unknown): ActionError {
  if (isCoreError(err)) return { code: err.code, message: err.message };
  return { code: 'E_INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
