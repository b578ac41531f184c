import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import { verifySlackRequest } from '@slack/bolt';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../src/log.js';

export const EVENTS_PATH = '/slack/events';

export type ParsedBody = { readonly ok: true; readonly body: Record<string, unknown> } | { readonly ok: false };

/**
 * Slack's two body encodings: a form (slash commands as fields, interactions
 * as JSON in `payload`) or JSON (Events API). Unlike Bolt's own receiver, a
 * `; charset=…` on the form's content type is accepted.
 */
export function parseSlackBody(contentType: string | undefined, raw: string): ParsedBody {
  try {
    const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (media === 'application/x-www-form-urlencoded') {
      const form = new URLSearchParams(raw);
      const payload = form.get('payload');
      return { ok: true, body: payload === null ? Object.fromEntries(form) : asObject(JSON.parse(payload)) };
    }
    return { ok: true, body: asObject(JSON.parse(raw)) };
  } catch {
    return { ok: false };
  }
}

function asObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
  return value as Record<string, unknown>;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Bolt's HTTP receiver, on the bot's own Fastify server and port: the route
 * keeps the raw body (the signature covers its bytes), checks it with Bolt's
 * own verifier (v0 HMAC, 5-minute window), and hands the event to the App.
 * The response goes out when a listener acks — with its body, e.g. a modal's
 * `response_action: errors` — and the route returns once the listener is done.
 */
export class FastifyReceiver implements Receiver {
  private app: App | undefined;

  constructor(
    private readonly signingSecret: string,
    private readonly logger: Logger,
  ) {}

  init(app: App): void {
    this.app = app;
  }

  // The bot's server listens and closes; nothing of the receiver's own to start or stop.
  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  readonly routes: FastifyPluginAsync = (server) => {
    // Encapsulated: the bot's JSON parser stays as it is for every other route.
    server.removeAllContentTypeParsers();
    server.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    server.post(EVENTS_PATH, { logLevel: 'warn' }, (request, reply) => this.handle(request, reply));
    return Promise.resolve();
  };

  private async handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const raw = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
    const parsed = parseSlackBody(header(request, 'content-type'), raw);
    // Slack's certificate check is unsigned by design; it carries nothing to act on.
    if (parsed.ok && parsed.body.ssl_check === '1') return reply.code(200).send();
    try {
      verifySlackRequest({
        signingSecret: this.signingSecret,
        body: raw,
        headers: {
          'x-slack-signature': header(request, 'x-slack-signature') ?? '',
          'x-slack-request-timestamp': Number(header(request, 'x-slack-request-timestamp')),
        },
      });
    } catch (err) {
      this.logger.warn(
        { err: err instanceof Error ? err.message : String(err), ip: request.ip },
        'refused a Slack request',
      );
      return reply.code(401).send({ error: 'invalid or stale Slack signature' });
    }
    if (!parsed.ok) return reply.code(400).send({ error: 'the body is neither a Slack form nor JSON' });
    const { body } = parsed;
    if (body.type === 'url_verification') return reply.code(200).send({ challenge: body.challenge });
    const app = this.app;
    if (!app) return reply.code(503).header('retry-after', '5').send({ error: 'the Slack adapter is starting' });

    const retry = Number(header(request, 'x-slack-retry-num'));
    const retryReason = header(request, 'x-slack-retry-reason');
    const event: ReceiverEvent = {
      body,
      ...(Number.isInteger(retry) && retry > 0 ? { retryNum: retry } : {}),
      ...(retryReason ? { retryReason } : {}),
      ack: (response?: unknown) => {
        if (reply.sent) return Promise.resolve();
        void (response === undefined || response === '' ? reply.code(200).send() : reply.code(200).send(response));
        return Promise.resolve();
      },
    };
    try {
      await app.processEvent(event);
    } catch (err) {
      this.logger.error({ err }, 'a Slack listener failed');
      if (!reply.sent) return reply.code(500).send({ error: 'internal error' });
    }
    // A request no listener acknowledged (an event type healgate does not handle) is still received.
    if (!reply.sent) return reply.code(200).send();
    return reply;
  }
}
