import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** One call the bot made, with its form fields (JSON fields such as `blocks` and `view` decoded). */
export interface SlackCall {
  readonly method: string;
  readonly token: string | undefined;
  readonly args: Record<string, unknown>;
  /** What the fake answered (e.g. the `ts` of a posted message). */
  readonly answer: Record<string, unknown>;
}

/** A JSON body posted to a `response_url` (what Bolt's `respond()` sends). */
export interface ResponsePost {
  readonly path: string;
  readonly body: Record<string, unknown>;
}

const JSON_FIELDS = new Set(['blocks', 'view', 'attachments', 'metadata']);
const BOT = { user_id: 'UHEALGATE', bot_id: 'BHEALGATE', team_id: 'T0001', team: 'ops', url: 'https://ops.slack.com/' };

/**
 * The Slack Web API on loopback, as far as healgate uses it: `POST
 * /api/<method>` form-encoded with a Bearer token, answered like Slack;
 * `response_url`s under /respond/; and, for Socket Mode, apps.connections.open
 * and a WebSocket that says hello and forwards envelopes.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly responses: ResponsePost[] = [];
  /** Acks received over the socket, by envelope id. */
  readonly acks = new Map<string, unknown>();
  private readonly rateLimited = new Map<string, number>();
  private readonly failing = new Map<string, number>();
  private readonly sockets = new Set<WebSocket>();
  private seq = 0;
  private server!: Server;
  private wss!: WebSocketServer;
  port = 0;

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  responseUrl(name: string): string {
    return `http://127.0.0.1:${this.port}/respond/${name}`;
  }

  /** The next `times` calls of `method` get HTTP 500 `internal_error`, as Slack answers when it is failing. */
  failNext(method: string, times: number): void {
    this.failing.set(method, times);
  }

  /** The next `times` calls of `method` get 429 with Retry-After: 1. */
  rateLimit(method: string, times: number): void {
    this.rateLimited.set(method, times);
  }

  of(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void body(req).then((raw) => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        if (url.pathname.startsWith('/respond/')) {
          this.responses.push({ path: url.pathname, body: JSON.parse(raw) as Record<string, unknown> });
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
          return;
        }
        const method = url.pathname.replace(/^\/api\//, '');
        const args: Record<string, unknown> = {};
        for (const [k, v] of new URLSearchParams(raw)) args[k] = JSON_FIELDS.has(k) ? JSON.parse(v) : v;
        const auth = req.headers.authorization;
        const token = auth?.startsWith('Bearer ') ? auth.slice(7) : (args.token as string | undefined);
        const limited = this.rateLimited.get(method) ?? 0;
        if (limited > 0) {
          this.rateLimited.set(method, limited - 1);
          res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"ok":false}');
          return;
        }
        const failing = this.failing.get(method) ?? 0;
        if (failing > 0) {
          this.failing.set(method, failing - 1);
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"ok":false,"error":"internal_error"}');
          return;
        }
        const answer = this.answer(method, args, token);
        this.calls.push({ method, token, args, answer });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    this.wss = new WebSocketServer({ server: this.server, path: '/link' });
    this.wss.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('message', (data) => {
        const msg = JSON.parse((data as Buffer).toString('utf8')) as { envelope_id: string; payload?: unknown };
        this.acks.set(msg.envelope_id, msg.payload ?? {});
      });
      socket.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0001' } }));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** How many Socket Mode connections are open now. */
  get connections(): number {
    return this.sockets.size;
  }

  /** Sends a Socket Mode envelope to every connected client; returns its id. */
  envelope(type: 'events_api' | 'interactive' | 'slash_commands', payload: Record<string, unknown>): string {
    const id = `env-${++this.seq}`;
    const frame = JSON.stringify({ envelope_id: id, type, payload, accepts_response_payload: type !== 'events_api' });
    for (const s of this.sockets) s.send(frame);
    return id;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(method: string, args: Record<string, unknown>, token: string | undefined): Record<string, unknown> {
    const ts = () => `1700000000.${String(++this.seq).padStart(6, '0')}`;
    switch (method) {
      case 'auth.test':
        return token === 'xoxb-revoked' ? { ok: false, error: 'invalid_auth' } : { ok: true, ...BOT };
      case 'chat.postMessage': {
        const at = ts();
        return { ok: true, channel: args.channel, ts: at, message: { type: 'message', ts: at, text: args.text } };
      }
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: ts() };
      case 'views.open':
        return { ok: true, view: { id: `V${++this.seq}`, ...(args.view as object) } };
      case 'apps.connections.open':
        return { ok: true, url: `ws://127.0.0.1:${this.port}/link` };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
