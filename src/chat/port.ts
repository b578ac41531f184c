import type { HealgateEvent } from '../events/types.js';

/** Event types that a burst folds into one digest per channel. */
export const DIGESTIBLE = ['incident.opened', 'incident.resolved', 'breaker.tripped'] as const;
export type DigestibleType = (typeof DIGESTIBLE)[number];

export type Notification =
  | { readonly kind: 'event'; readonly event: HealgateEvent }
  | { readonly kind: 'digest'; readonly type: DigestibleType; readonly events: readonly HealgateEvent[] };

/**
 * The one port every chat platform (Slack, Discord, the web console) sits
 * behind. Outbound, an adapter renders notifications; inbound, it calls the
 * approval service and diagnose with who acted. Adding a platform means
 * adding an adapter, not touching the core.
 */
export interface ChatAdapter {
  readonly name: string;
  deliver(notification: Notification): Promise<void>;
  close?(): Promise<void>;
}
