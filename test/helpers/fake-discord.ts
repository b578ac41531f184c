import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** Discord's epoch: snowflakes count milliseconds from 2015-01-01. */
const DISCORD_EPOCH = 1_420_070_400_000n;
let sequence = 0n;

/** A snowflake-shaped id, increasing like Discord's. */
export function snowflake(): string {
  return String(((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | (++sequence & 0xfffn));
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  content: string;
  embeds: Record<string, unknown>[];
  components: { type: number; components: { type: number; custom_id?: string; label?: string; style?: number }[] }[];
  message_reference?: { message_id: string; channel_id?: string };
  /** Every body that edited it, oldest first. */
  edits: Record<string, unknown>[];
}

/** A public thread started from a message: it has the message's id (as Discord does it). */
export interface FakeThread {
  readonly id: string;
  readonly parent_id: string;
  readonly name: string;
  readonly auto_archive_duration: number;
}

export interface InteractionCallback {
  readonly id: string;
  readonly token: string;
  readonly type: number;
  readonly data: Record<string, unknown> | undefined;
}

/** Follow-ups and edits of an interaction's reply, by its token. */
export interface WebhookCall {
  readonly method: string;
  readonly token: string;
  /** `@original` or a follow-up's id; undefined for a new follow-up. */
  readonly message: string | undefined;
  readonly body: Record<string, unknown> | undefined;
}

export interface RestCall {
  readonly method: string;
  readonly path: string;
  readonly auth: string | undefined;
  readonly body: unknown;
}

export interface FakeUser {
  readonly id: string;
  readonly username: string;
  readonly roles?: readonly string[];
}

export interface FakeDiscordOptions {
  readonly token: string;
  readonly applicationId: string;
  readonly guildId: string;
  readonly channelId: string;
  /** Roles that exist in the guild (the member's role ids resolve against these). */
  readonly roles?: readonly string[];
  readonly heartbeatIntervalMs?: number;
}

export interface FakeDiscord {
  /** REST base as discord.js wants it (`…/api`); Discord's own form is `${api}/v10`. */
  readonly api: string;
  /** The next `times` REST calls that `match` get `status` (e.g. 500), as Discord answers when it is failing. */
  failNext(
    match: (call: { method: string; path: string }) => boolean,
    failure: { status: number; times: number },
  ): void;
  readonly calls: RestCall[];
  readonly messages: Map<string, FakeMessage>;
  /** Threads by id, started with POST /channels/{id}/messages/{id}/threads. */
  readonly threads: Map<string, FakeThread>;
  readonly callbacks: InteractionCallback[];
  readonly webhooks: WebhookCall[];
  /** Registered commands by route (`applications/…/commands`), and how many PUTs set them. */
  readonly commands: Map<string, Record<string, unknown>[]>;
  readonly gateway: {
    identifies: number;
    resumes: number;
    heartbeats: number;
    /** Sessions with a connection now (after IDENTIFY or RESUME). */
    sessions: number;
  };
  /** Sends INTERACTION_CREATE and returns its id and token. */
  interact(d: Record<string, unknown>): { id: string; token: string };
  /** Sends the same INTERACTION_CREATE again, as a second session or a replay would deliver it. */
  replay(interaction: { id: string }): void;
  button(message: FakeMessage, customId: string, user: FakeUser): { id: string; token: string };
  /** A modal's submit with its notes, and `extra` text inputs by custom id. */
  modalSubmit(
    message: FakeMessage,
    customId: string,
    notes: string,
    user: FakeUser,
    extra?: Record<string, string>,
  ): { id: string; token: string };
  command(
    name: string,
    options: { name: string; type: number; value: unknown }[],
    user: FakeUser,
  ): { id: string; token: string };
  autocomplete(
    name: string,
    options: { name: string; type: number; value: unknown; focused?: boolean }[],
    user: FakeUser,
  ): { id: string; token: string };
  /** Closes every gateway connection with this close code (4000: resumable). */
  drop(code: number): void;
  /** Sends op 9 INVALID_SESSION (not resumable) on every connection: clients must identify again. */
  invalidateSession(): void;
  close(): Promise<void>;
}

interface Session {
  readonly id: string;
  seq: number;
  socket: WebSocket | undefined;
  missed: Record<string, unknown>[];
}

const bot = { id: '', username: 'healgate', discriminator: '0', global_name: null, avatar: null, bot: true };

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : undefined;
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * A Discord on loopback: the REST routes healgate uses under `/api/v10`, and
 * a JSON gateway (no compression) with HELLO, IDENTIFY → READY + GUILD_CREATE,
 * heartbeat ACKs, RESUME → RESUMED and INTERACTION_CREATE dispatches.
 */
export async function startFakeDiscord(options: FakeDiscordOptions): Promise<FakeDiscord> {
  const { token, applicationId, guildId, channelId } = options;
  const botUser = { ...bot, id: applicationId };
  const calls: RestCall[] = [];
  const failures: { match: (call: { method: string; path: string }) => boolean; status: number; left: number }[] = [];
  const messages = new Map<string, FakeMessage>();
  const threads = new Map<string, FakeThread>();
  const callbacks: InteractionCallback[] = [];
  const webhooks: WebhookCall[] = [];
  const commands = new Map<string, Record<string, unknown>[]>();
  const gateway = { identifies: 0, resumes: 0, heartbeats: 0, sessions: 0 };

  /**
   * Gateway sessions by id. Each replica of the bot has its own and gets
   * every dispatch; what one misses while away is replayed on its RESUME.
   */
  const sessions = new Map<string, Session>();
  const attached = () => [...sessions.values()].filter((x) => x.socket);
  const countConnected = () => {
    gateway.sessions = attached().length;
  };

  const threadChannel = (t: FakeThread) => ({
    id: t.id,
    type: 11,
    guild_id: guildId,
    parent_id: t.parent_id,
    owner_id: applicationId,
    name: t.name,
    last_message_id: null,
    rate_limit_per_user: 0,
    message_count: 0,
    member_count: 1,
    total_message_sent: 0,
    flags: 0,
    thread_metadata: {
      archived: false,
      auto_archive_duration: t.auto_archive_duration,
      archive_timestamp: new Date().toISOString(),
      locked: false,
    },
  });

  const toMessage = (m: FakeMessage) => ({
    id: m.id,
    type: m.message_reference ? 19 : 0,
    channel_id: m.channel_id,
    guild_id: guildId,
    author: botUser,
    content: m.content,
    embeds: m.embeds,
    components: m.components,
    attachments: [],
    mentions: [],
    mention_roles: [],
    mention_everyone: false,
    pinned: false,
    tts: false,
    // HAS_THREAD once a thread was started from it.
    flags: threads.has(m.id) ? 32 : 0,
    ...(threads.has(m.id) ? { thread: threadChannel(threads.get(m.id)!) } : {}),
    timestamp: new Date().toISOString(),
    edited_timestamp: m.edits.length > 0 ? new Date().toISOString() : null,
    ...(m.message_reference ? { message_reference: m.message_reference } : {}),
  });

  const newMessage = (channel: string, body: Record<string, unknown>): FakeMessage => {
    const message: FakeMessage = {
      id: snowflake(),
      channel_id: channel,
      content: typeof body.content === 'string' ? body.content : '',
      embeds: (body.embeds as FakeMessage['embeds'] | undefined) ?? [],
      components: (body.components as FakeMessage['components'] | undefined) ?? [],
      edits: [],
      ...(body.message_reference
        ? { message_reference: body.message_reference as NonNullable<FakeMessage['message_reference']> }
        : {}),
    };
    messages.set(message.id, message);
    return message;
  };

  const edit = (message: FakeMessage, body: Record<string, unknown>) => {
    if (typeof body.content === 'string') message.content = body.content;
    if (body.embeds) message.embeds = body.embeds as FakeMessage['embeds'];
    if (body.components) message.components = body.components as FakeMessage['components'];
    message.edits.push(body);
  };

  async function rest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const body = await readJson(req);
    const auth = req.headers.authorization;
    const path = decodeURIComponent(url.pathname.replace(/^\/api\/v10/, ''));
    calls.push({ method, path, auth, body });
    const b = (body ?? {}) as Record<string, unknown>;
    const parts = path.split('/').filter(Boolean);

    // Interaction callbacks and webhooks are authenticated by their token, not the bot's.
    if (parts[0] === 'interactions' && parts[3] === 'callback' && method === 'POST') {
      const repeated = callbacks.some((c) => c.id === parts[1]);
      callbacks.push({
        id: parts[1]!,
        token: parts[2]!,
        type: b.type as number,
        data: b.data as Record<string, unknown>,
      });
      // As Discord: an interaction is answered once; the fake still records the second try.
      if (repeated) send(res, 400, { message: 'Interaction has already been acknowledged.', code: 40060 });
      else send(res, 204);
      return;
    }
    if (parts[0] === 'webhooks' && parts[1] === applicationId) {
      const message = parts[3] === 'messages' ? parts[4] : undefined;
      webhooks.push({ method, token: parts[2]!, message, body: body as Record<string, unknown> | undefined });
      if (method === 'DELETE') send(res, 204);
      else send(res, 200, toMessage(newMessage(channelId, b)));
      return;
    }
    if (auth !== `Bot ${token}`) {
      send(res, 401, { message: '401: Unauthorized', code: 0 });
      return;
    }
    const failure = failures.find((f) => f.left > 0 && f.match({ method, path }));
    if (failure) {
      failure.left--;
      send(res, failure.status, { message: `${failure.status}: failing on purpose`, code: 0 });
      return;
    }
    if (path === '/gateway/bot' && method === 'GET') {
      const { port } = server.address() as AddressInfo;
      send(res, 200, {
        url: `ws://127.0.0.1:${port}/gateway`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
      });
      return;
    }
    if (parts[0] === 'applications' && parts[1] === applicationId && parts.at(-1) === 'commands') {
      const route = parts.join('/');
      if (method === 'GET') {
        send(res, 200, commands.get(route) ?? []);
        return;
      }
      if (method === 'PUT' && Array.isArray(body)) {
        const saved = (body as Record<string, unknown>[]).map((c) => ({
          id: snowflake(),
          application_id: applicationId,
          ...(parts[2] === 'guilds' ? { guild_id: parts[3] } : {}),
          version: snowflake(),
          default_member_permissions: null,
          nsfw: false,
          ...c,
        }));
        commands.set(route, saved);
        send(res, 200, saved);
        return;
      }
    }
    if (parts[0] === 'channels' && parts[1] !== channelId && !threads.has(parts[1] ?? '')) {
      send(res, 404, { message: 'Unknown Channel', code: 10003 });
      return;
    }
    // Start Thread from Message: the thread takes the message's id; a second start is refused.
    if (parts[0] === 'channels' && parts[2] === 'messages' && parts[4] === 'threads' && method === 'POST') {
      const source = messages.get(parts[3] ?? '');
      if (!source || source.channel_id !== parts[1]) {
        send(res, 404, { message: 'Unknown Message', code: 10008 });
        return;
      }
      if (typeof b.name !== 'string' || b.name.length < 1 || b.name.length > 100) {
        send(res, 400, { message: 'Invalid Form Body', code: 50035, errors: { name: { _errors: [] } } });
        return;
      }
      if (threads.has(source.id)) {
        send(res, 400, { message: 'A thread has already been created for this message', code: 160004 });
        return;
      }
      const started: FakeThread = {
        id: source.id,
        parent_id: source.channel_id,
        name: b.name,
        auto_archive_duration: typeof b.auto_archive_duration === 'number' ? b.auto_archive_duration : 4320,
      };
      threads.set(started.id, started);
      send(res, 201, threadChannel(started));
      return;
    }
    if (parts[0] === 'channels' && parts[2] === 'messages') {
      if (method === 'POST' && parts.length === 3) {
        send(res, 200, toMessage(newMessage(parts[1]!, b)));
        return;
      }
      const message = messages.get(parts[3] ?? '');
      if (method === 'PATCH' && message && message.channel_id === parts[1]) {
        edit(message, b);
        send(res, 200, toMessage(message));
        return;
      }
      send(res, 404, { message: 'Unknown Message', code: 10008 });
      return;
    }
    send(res, 404, { message: '404: Not Found', code: 0 });
  }

  const server = createServer((req, res) => {
    rest(req, res).catch((err: unknown) => send(res, 500, { message: String(err), code: 0 }));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, sock, head) => {
    if (!req.url?.startsWith('/gateway')) {
      sock.destroy();
      return;
    }
    wss.handleUpgrade(req, sock, head, (ws) => wss.emit('connection', ws, req));
  });

  const dispatchTo = (session: Session, t: string, d: unknown) => {
    const payload = { op: 0, t, s: ++session.seq, d };
    if (session.socket) session.socket.send(JSON.stringify(payload));
    else session.missed.push(payload);
  };
  const broadcast = (t: string, d: unknown) => {
    for (const session of sessions.values()) dispatchTo(session, t, d);
  };

  const guildCreate = () => ({
    id: guildId,
    name: 'ops',
    icon: null,
    owner_id: snowflake(),
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [guildId, ...(options.roles ?? [])].map((id, position) => ({
      id,
      name: id === guildId ? '@everyone' : `role-${id}`,
      color: 0,
      hoist: false,
      icon: null,
      unicode_emoji: null,
      position,
      permissions: '0',
      managed: false,
      mentionable: false,
      flags: 0,
    })),
    emojis: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    joined_at: new Date().toISOString(),
    large: false,
    unavailable: false,
    member_count: 2,
    voice_states: [],
    members: [],
    channels: [{ id: channelId, type: 0, name: 'healgate', guild_id: guildId, position: 0, permission_overwrites: [] }],
    threads: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    stickers: [],
    soundboard_sounds: [],
    premium_tier: 0,
    preferred_locale: 'en-US',
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
  });

  wss.on('connection', (ws, req) => {
    let session: Session | undefined;
    const params = new URL(req.url ?? '/', 'http://fake').searchParams;
    if (params.get('v') !== '10' || params.get('encoding') !== 'json' || params.has('compress')) {
      ws.close(4012, 'this fake speaks v10 JSON without compression');
      return;
    }
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: options.heartbeatIntervalMs ?? 1000 } }));
    ws.on('message', (raw: Buffer) => {
      const { op, d } = JSON.parse(raw.toString('utf8')) as { op: number; d: Record<string, unknown> | null };
      if (op === 1) {
        gateway.heartbeats++;
        ws.send(JSON.stringify({ op: 11 }));
      } else if (op === 2) {
        if (d?.token !== token) {
          ws.close(4004, 'Authentication failed');
          return;
        }
        gateway.identifies++;
        session = { id: snowflake(), seq: 0, socket: ws, missed: [] };
        sessions.set(session.id, session);
        countConnected();
        const { port } = server.address() as AddressInfo;
        dispatchTo(session, 'READY', {
          v: 10,
          user: botUser,
          guilds: [{ id: guildId, unavailable: true }],
          session_id: session.id,
          resume_gateway_url: `ws://127.0.0.1:${port}/gateway`,
          shard: [0, 1],
          application: { id: applicationId, flags: 0 },
        });
        dispatchTo(session, 'GUILD_CREATE', guildCreate());
      } else if (op === 6) {
        const known = sessions.get(String(d?.session_id));
        if (d?.token !== token || !known) {
          ws.send(JSON.stringify({ op: 9, d: false }));
          return;
        }
        gateway.resumes++;
        session = known;
        session.socket = ws;
        countConnected();
        for (const p of session.missed.filter((m) => (m.s as number) > (d.seq as number))) ws.send(JSON.stringify(p));
        session.missed = [];
        dispatchTo(session, 'RESUMED', {});
      }
    });
    ws.on('close', (code) => {
      if (!session || session.socket !== ws) return;
      session.socket = undefined;
      // A client that closes normally ends its session; any other close may be resumed.
      if (code === 1000 || code === 1001) sessions.delete(session.id);
      countConnected();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const member = (user: FakeUser) => ({
    user: { id: user.id, username: user.username, discriminator: '0', global_name: null, avatar: null },
    roles: [...(user.roles ?? [])],
    joined_at: new Date().toISOString(),
    nick: null,
    permissions: '2248473465835073',
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
  });

  const sent = new Map<string, Record<string, unknown>>();
  const interact = (d: Record<string, unknown>) => {
    const id = snowflake();
    const interactionToken = `itoken-${id}`;
    const payload = {
      id,
      application_id: applicationId,
      token: interactionToken,
      version: 1,
      guild_id: guildId,
      channel_id: channelId,
      channel: { id: channelId, type: 0, guild_id: guildId, name: 'healgate' },
      app_permissions: '2248473465835073',
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': guildId },
      context: 0,
      attachment_size_limit: 10_485_760,
      ...d,
    };
    sent.set(id, payload);
    broadcast('INTERACTION_CREATE', payload);
    return { id, token: interactionToken };
  };

  return {
    api: `http://127.0.0.1:${port}/api`,
    failNext(match, { status, times }) {
      failures.push({ match, status, left: times });
    },
    calls,
    messages,
    threads,
    callbacks,
    webhooks,
    commands,
    gateway,
    interact,
    button: (message, customId, user) =>
      interact({
        type: 3,
        member: member(user),
        message: toMessage(message),
        data: { custom_id: customId, component_type: 2 },
      }),
    modalSubmit: (message, customId, notes, user, extra = {}) =>
      interact({
        type: 5,
        member: member(user),
        message: toMessage(message),
        data: {
          custom_id: customId,
          components: [
            { type: 10, id: 1 },
            { type: 18, id: 2, component: { type: 4, id: 3, custom_id: 'notes', value: notes } },
            ...Object.entries(extra).map(([custom_id, value], i) => ({
              type: 18,
              id: 4 + 2 * i,
              component: { type: 4, id: 5 + 2 * i, custom_id, value },
            })),
          ],
        },
      }),
    command: (name, opts, user) =>
      interact({
        type: 2,
        member: member(user),
        data: { id: snowflake(), name, type: 1, options: opts, guild_id: guildId },
      }),
    autocomplete: (name, opts, user) =>
      interact({
        type: 4,
        member: member(user),
        data: { id: snowflake(), name, type: 1, options: opts, guild_id: guildId },
      }),
    replay(interaction) {
      const payload = sent.get(interaction.id);
      if (payload) broadcast('INTERACTION_CREATE', payload);
    },
    drop(code) {
      // From now on dispatches wait for a RESUME, as Discord keeps them for the session.
      for (const session of attached()) {
        session.socket?.close(code, 'dropped by the test');
        session.socket = undefined;
      }
      countConnected();
    },
    invalidateSession() {
      for (const session of attached()) {
        session.socket?.send(JSON.stringify({ op: 9, d: false }));
        sessions.delete(session.id);
      }
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
