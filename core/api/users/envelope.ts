import type { FastifyReply } from 'fastify';

/** A failed request as telemt reports it: HTTP status and machine code. */
export class ApiFail extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly allow?: string) {
    super(message);
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** `{ok:true, data, revision}`. */
export function sendOk(reply: FastifyReply, status: number, data: unknown, revision: string): FastifyReply {
  return reply.code(status).type(JSON_TYPE).send(JSON.stringify({ ok: true, data, revision }));
}

/** `{ok:false, error:{code, message}, request_id}` (never a revision); 405 carries Allow. */
export function sendFail(reply: FastifyReply, fail: ApiFail, requestId: number): FastifyReply {
  if (fail.allow) reply.header('allow', fail.allow);
  return reply.code(fail.status).type(JSON_TYPE)
    .send(JSON.stringify({ ok: false, error: { code: fail.code, message: fail.message }, request_id: requestId }));
}
