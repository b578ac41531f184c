import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config/types.js';
import type { ChatEvent } from '../events/types.js';
import type { GroupView } from '../groups/types.js';
import type { Logger } from '../log.js';
import type { ChatServices } from './services.js';

/** Event types that a burst folds into one digest per channel. */
export const DIGESTIBLE = ['incident.opened', 'incident.resolved', 'breaker.tripped', 'agent.silent'] as const;
export type DigestibleType = (typeof DIGESTIBLE)[number];

export type Notification =
  | { readonly kind: 'event'; readonly event: ChatEvent }
  /** A storm group of two or more members, to show as one message (posted once, then edited). */
  | { readonly kind: 'group'; readonly group: GroupView }
  | { readonly kind: 'digest'; readonly type: DigestibleType; readonly events: readonly ChatEvent[] };

/** What the notifications stream holds: a storm group by its id, drawn as it stands when delivered. */
export type StoredNotification =
  Exclude<Notification, { readonly kind: 'group' }> | { readonly kind: 'group'; readonly group_id: string };

/**
 * The one port every chat platform (Slack, Discord, the web console) sits
 * behind. Outbound, an adapter renders notifications; inbound, it calls the
 * chat services (approvals, commands) with who acted. Adding a platform
 * means adding an adapter under `adapters/`, not touching the core.
 */
export interface ChatAdapter {
  readonly name: string;
  deliver(notification: Notification): Promise<void>;
  /**
   * Routes on the bot's own HTTP server (Slack events, the console's pages),
   * registered as an encapsulated Fastify plugin outside the `/v1` token hook.
   */
  readonly routes?: FastifyPluginAsync;
  /** Called once the HTTP server listens and before notifications flow: log in, open sockets. */
  start?(): Promise<void>;
  close?(): Promise<void>;
}

/** What an adapter is built from. */
export interface AdapterContext {
  readonly config: Config;
  readonly services: ChatServices;
  readonly logger: Logger;
  /** The bot's Redis, for an adapter's own reads (e.g. the console's live event feed). */
  readonly redis: Redis;
}

/** One per platform; `create` returns undefined when the platform is not configured. */
export interface AdapterFactory {
  readonly name: string;
  create(context: AdapterContext): ChatAdapter | undefined;
}
