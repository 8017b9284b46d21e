import type { FastifyReply } from 'fastify';
import type { ErrorCode } from '../rpc';

/** The JSON body of every HTTP error RelayDesk answers: `{"error":{"code","message"}}`. */
export interface HttpErrorBody {
  error: { code: ErrorCode; message: string };
}

/** Sends an error with the standard body; returns the reply (for `return sendError(...)`). */
export function sendError(reply: FastifyReply, status: number, code: ErrorCode, message: string): FastifyReply {
  const body: HttpErrorBody = { error: { code, message } };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}
