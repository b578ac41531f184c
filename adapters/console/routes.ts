import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AUDIT_TYPES } from '../../src/audit/index.js';
import type { Refusal } from '../../src/approvals/service.js';
import type { ChatServices } from '../../src/chat/services.js';
import { auditDoc, verifyDoc } from '../../src/chat/view/commands.js';
import { commandDoc, thresholds } from '../../src/chat/view/reply.js';
import { principalId, type Principal } from '../../src/core/policy/approvers.js';
import { hostSchema } from '../../src/core/snapshot/schema.js';
import { formatIssues } from '../../src/core/snapshot/validate.js';
import { DIAGNOSE_TIMEOUT_MS } from '../../src/diagnose/service.js';
import { REQUEST_DEADLINE_MS } from '../../src/http/deadline.js';
import { auditQuerySchema, readAudit } from '../../src/http/routes/audit.js';
import { unavailable } from '../../src/http/routes/ingest.js';
import { readHost } from '../../src/pipeline/host-read.js';
import type { Redis } from 'ioredis';
import type { ConsoleFeed } from './feed.js';
import { agentViews, dayHistory, hostRows } from './hosts.js';
import { identify, type ConsoleMode } from './identity.js';
import { approvalItem, groupItem, named } from './items.js';
import { bulkSummary } from '../../src/chat/view/group.js';
import type { OidcLogin } from './oidc.js';
import { SseStream } from './sse.js';
import { SECURITY_HEADERS, type StaticFile } from './static.js';

const API = '/console/api';

export interface ConsoleRouteDeps {
  readonly mode: ConsoleMode;
  readonly services: ChatServices;
  readonly redis: Redis;
  readonly feed: ConsoleFeed;
  readonly files: ReadonlyMap<string, StaticFile>;
  /** Set in `oidc` mode: sign-in, sessions, sign-out. */
  readonly oidc?: OidcLogin;
}

const commandBody = z.strictObject({
  text: z
    .string()
    .trim()
    .regex(/^\/[a-z]+(\s.*)?$/s, { error: 'type a command such as /diagnose host-1, /audit 24h or /audit verify' })
    .max(500),
});
const decideParams = z.strictObject({
  id: z.string().regex(/^apr-[0-9a-f]{16}$/, { error: 'not an approval id' }),
  verdict: z.enum(['approve', 'reject']),
});
const decideBody = z.strictObject({ notes: z.string().max(3000).default('') });
const bulkParams = z.strictObject({
  id: z.string().regex(/^grp-[0-9a-f]{16}$/, { error: 'not a storm group id' }),
  verdict: z.enum(['approve', 'reject']),
});
const hostList = z.array(hostSchema).max(1000).default([]);
const bulkBody = z.strictObject({ notes: z.string().max(3000).default(''), only: hostList, except: hostList });

const REFUSAL_STATUS: Record<Refusal, 400 | 403 | 404 | 409> = {
  not_found: 404,
  not_approver: 403,
  four_eyes: 403,
  notes_required: 400,
  expired: 409,
  already_decided: 409,
};

/** The console: its page at `/`, its API (JSON and one SSE stream) under `/console/api`. */
export function consoleRoutes(deps: ConsoleRouteDeps): FastifyPluginAsync {
  return (app) => {
    const streams = new Set<SseStream>();
    app.addHook('onSend', (_request, reply, payload, done) => {
      reply.headers(SECURITY_HEADERS);
      done(null, payload);
    });
    // Open streams would keep the server from closing.
    app.addHook('preClose', (done) => {
      for (const s of streams) s.end();
      done();
    });
    // A page polls and streams all day: per-request log lines only for warnings and worse.
    void app.register(
      (quiet, _opts, done) => {
        staticRoutes(quiet, deps.files);
        if (deps.oidc) oidcRoutes(quiet, deps.oidc);
        void quiet.register(
          (api, _o, ready) => {
            apiRoutes(api, deps, streams);
            ready();
          },
          { prefix: API },
        );
        done();
      },
      { logLevel: 'warn' },
    );
    return Promise.resolve();
  };
}

/** Sign-in through the OpenID provider and back, and sign-out; plain redirects, so the page needs no script for it. */
function oidcRoutes(app: FastifyInstance, login: OidcLogin): void {
  app.get('/console/oidc/login', async (_request, reply) => {
    const { location, setCookie } = await login.start();
    return reply.header('set-cookie', setCookie).redirect(location);
  });
  app.get('/console/oidc/callback', async (request, reply) => {
    const url = new URL(request.url, login.redirectUrl);
    const done = await login.finish(url, request.headers.cookie);
    if (!done.ok) return reply.code(403).type('text/plain').send(`Not signed in: ${done.error}.`);
    return reply.header('set-cookie', done.setCookie).redirect('/');
  });
  app.get('/console/oidc/logout', async (request, reply) => {
    const { location, setCookie } = await login.logout(request.headers.cookie, new URL('/', login.redirectUrl).href);
    return reply.header('set-cookie', setCookie).redirect(location);
  });
}

function staticRoutes(app: FastifyInstance, files: ReadonlyMap<string, StaticFile>): void {
  const serve = (name: string) => files.get(name);
  app.get('/', async (_request, reply) => {
    const page = serve('index.html');
    return page ? reply.type(page.type).send(page.body) : reply.code(404).send();
  });
  app.get<{ Params: { file: string } }>('/console/:file', async (request, reply) => {
    const file = /^[a-z-]+\.(js|css|svg)$/.test(request.params.file) ? serve(request.params.file) : undefined;
    return file ? reply.type(file.type).send(file.body) : reply.code(404).send({ error: 'no such file' });
  });
}

function apiRoutes(api: FastifyInstance, deps: ConsoleRouteDeps, streams: Set<SseStream>): void {
  const { services, redis, feed } = deps;
  const principals = new WeakMap<FastifyRequest, Principal>();
  const who = (request: FastifyRequest): Principal => principals.get(request)!;

  api.addHook('onRequest', async (request, reply) => {
    const session = await deps.oidc?.user(request.headers.cookie);
    const identity = identify(deps.mode, {
      method: request.method,
      headers: request.headers,
      ...(request.socket.remoteAddress ? { remoteAddress: request.socket.remoteAddress } : {}),
      ...(session ? { session } : {}),
    });
    if (!identity.ok) return reply.code(identity.status).send({ error: identity.error, mode: deps.mode.kind });
    principals.set(request, identity.principal);
  });
  api.addHook('preHandler', async (_request, reply) => {
    if (redis.status !== 'ready') await unavailable(reply);
  });

  api.get('/session', (request, reply) => {
    const p = who(request);
    return reply.send({
      mode: deps.mode.kind,
      principal: {
        id: principalId(p),
        name: p.displayName ?? p.userId,
        local_operator: p.localOperator === true,
        auth: p.auth ?? null,
        groups: p.groups ?? [],
      },
      local_operator_approves: services.policy.approval.local_console_operator_approves,
      execution_mode: services.executionMode,
      policy: services.policy.id,
      thresholds: thresholds(services.policy),
      now: services.now().toISOString(),
      audit_types: AUDIT_TYPES,
    });
  });

  api.get('/hosts', async () => {
    const now = services.now().getTime();
    return {
      now: new Date(now).toISOString(),
      hosts: await hostRows(redis, now, services.policy.agent.heartbeat_multiple),
    };
  });

  api.get('/hosts/:host', async (request, reply) => {
    const parsed = z.object({ host: hostSchema }).safeParse(request.params);
    if (!parsed.success) return reply.code(400).send({ error: formatIssues(parsed.error) });
    const detail = await readHost(redis, parsed.data.host);
    if (!detail) return reply.code(404).send({ error: `unknown host ${parsed.data.host}` });
    const [[agent], day] = await Promise.all([
      agentViews(redis, [detail.host], services.now().getTime(), services.policy.agent.heartbeat_multiple),
      dayHistory(redis, detail.host),
    ]);
    return { ...detail, agent: agent ?? null, day };
  });

  api.get('/events', async (request, reply) => {
    const last = request.headers['last-event-id'];
    let unsubscribe: (() => void) | undefined;
    const stream = new SseStream(reply, SECURITY_HEADERS, () => {
      streams.delete(stream);
      unsubscribe?.();
    });
    streams.add(stream);
    try {
      unsubscribe = await feed.subscribe(
        {
          item: (item) => stream.send('item', item, item.id || undefined),
          hosts: (rows) => stream.send('hosts', rows),
        },
        Array.isArray(last) ? last[0] : last,
      );
      if (stream.isClosed) unsubscribe();
      stream.send('ready', { at: services.now().toISOString() });
    } catch (err) {
      request.log.warn({ err }, 'console feed: could not send the backlog');
      stream.end();
    }
  });

  api.get('/audit', async (request, reply) => {
    const parsed = auditQuerySchema.safeParse(request.query);
    if (!parsed.success) return reply.code(400).send({ error: formatIssues(parsed.error) });
    const { window, summary, entries } = await readAudit(services.audit, services.now(), parsed.data);
    const actors = entries.flatMap((e) => (typeof e.actor === 'string' ? [e.actor] : []));
    // Names by actor id, resolved once: the page shows "Alice (slack:U1)" where the log keeps the id.
    const names = Object.fromEntries(await services.names.resolve(actors));
    return { window, summary: auditDoc(window, summary), entries, names };
  });

  api.get('/audit/verify', async () => ({ doc: verifyDoc(await services.audit.verify()) }));

  // /diagnose waits for the host's agent; the deadline is for Redis.
  api.post(
    '/command',
    { config: { deadlineMs: DIAGNOSE_TIMEOUT_MS + REQUEST_DEADLINE_MS } },
    async (request, reply) => {
      const parsed = commandBody.safeParse(request.body);
      if (!parsed.success) return reply.code(400).send({ error: formatIssues(parsed.error) });
      const [, name = '', text = ''] = /^\/([a-z]+)\s*(.*)$/s.exec(parsed.data.text) ?? [];
      const answer = await services.command(name, text);
      return answer.kind === 'usage'
        ? { ok: false, message: answer.message }
        : { ok: true, doc: commandDoc(answer, services.policy) };
    },
  );

  api.post('/groups/:id/:verdict', async (request, reply) => {
    const params = bulkParams.safeParse(request.params);
    const body = bulkBody.safeParse(request.body ?? {});
    if (!params.success) return reply.code(400).send({ error: formatIssues(params.error) });
    if (!body.success) return reply.code(400).send({ error: formatIssues(body.error) });
    const { id, verdict } = params.data;
    const { notes, only, except } = body.data;
    const outcome = await services.decideGroup(id, verdict, who(request), notes, { only, except });
    if (!outcome.ok)
      return reply
        .code(outcome.message.startsWith('There is no') ? 404 : 400)
        .send({ ok: false, message: outcome.message });
    const message = bulkSummary(outcome.result);
    const group = await services.groups.view(id);
    const dryRun = services.executionMode === 'dry-run';
    return {
      ok: true,
      message,
      result: outcome.result,
      item: group ? groupItem('', group, services.now(), dryRun, message) : undefined,
    };
  });

  api.post('/approvals/:id/:verdict', async (request, reply) => {
    const params = decideParams.safeParse(request.params);
    // No body at all means no notes; a JSON null is not an object of notes.
    const body = decideBody.safeParse(request.body === undefined ? {} : request.body);
    if (!params.success) return reply.code(400).send({ error: formatIssues(params.error) });
    if (!body.success) return reply.code(400).send({ error: formatIssues(body.error) });
    const { id, verdict } = params.data;
    await services.names.remember(who(request));
    const result = await services.approvals.answer(id, verdict, who(request), body.data.notes);
    const record = result.approval;
    const item = record
      ? (
          await named(
            [approvalItem('', record, 'update', await services.history(record.host), services.now())],
            services.names,
          )
        )[0]
      : undefined;
    if (result.ok) return { ok: true, item };
    return reply
      .code(REFUSAL_STATUS[result.reason])
      .send({ ok: false, reason: result.reason, message: result.message, item });
  });
}
