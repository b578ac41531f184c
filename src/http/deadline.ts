import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Deadline } from '../redis/deadline.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** When this request's answer is due; set before its handler runs. */
    deadline: Deadline;
  }
  interface FastifyContextConfig {
    /** The route answers by `request.deadline` itself, each outcome true (ingest, firewall requests). */
    ownDeadline?: boolean;
    /** A route that waits for more than Redis (a /diagnose waits for an agent) gets this long instead. */
    deadlineMs?: number;
  }
}

/**
 * Every request is answered within this long of its body's arrival. Redis
 * commands wait for a reconnect rather than fail, and a frozen Redis never
 * answers: without a deadline a request would hang, then take effect later.
 */
export const REQUEST_DEADLINE_MS = 3_000;

/**
 * Gives each request its deadline and, for routes that do not keep it
 * themselves, answers 503 when it comes. Streams (the console's SSE) have
 * taken over the response by then and are left alone.
 */
export function enforceDeadlines(app: FastifyInstance, ms: number): void {
  app.decorateRequest('deadline', null as unknown as Deadline);
  app.addHook('preHandler', (request, reply, done) => {
    const { ownDeadline, deadlineMs = ms } = request.routeOptions.config;
    request.deadline = Deadline.after(deadlineMs);
    if (!ownDeadline) {
      // Deferred past the poll phase, as Deadline.race is: an answer already on its way wins.
      const timer = setTimeout(() => setImmediate(() => answerLate(app, request, reply, deadlineMs)), deadlineMs);
      reply.raw.once('close', () => clearTimeout(timer));
    }
    done();
  });
}

function answerLate(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, ms: number): void {
  if (reply.sent || reply.raw.headersSent) return;
  const reads = request.method === 'GET' || request.method === 'HEAD';
  const error = `Redis did not answer within ${ms} ms; ${reads ? 'retry later' : 'the request may still take effect: check before retrying'}`;
  // The app's logger: a route's own level (the quiet /v1 scope says warn) would override LOG_LEVEL.
  app.log.warn({ url: request.url, method: request.method }, 'answered 503: Redis did not answer in time');
  // Hijacked, so that the handler's late result is dropped instead of sent twice.
  reply.hijack();
  reply.raw
    .writeHead(503, {
      'content-type': 'application/json; charset=utf-8',
      'retry-after': '5',
      'cache-control': 'no-store',
    })
    .end(JSON.stringify({ error }));
}
