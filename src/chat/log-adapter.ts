import { eventHost } from '../events/types.js';
import type { Logger } from '../log.js';
import type { ChatAdapter, Notification } from './port.js';

/**
 * Notifications as log lines: what `healgate start` shows when no chat
 * platform is configured, and a record next to the ones that are.
 */
export class LogAdapter implements ChatAdapter {
  readonly name = 'log';

  constructor(private readonly logger: Logger) {}

  deliver(n: Notification): Promise<void> {
    if (n.kind === 'digest') {
      const hosts = [...new Set(n.events.map(eventHost))];
      this.logger.info(
        { notification: n.type, count: n.events.length, hosts },
        `${n.events.length} × ${n.type} on ${hosts.length} hosts`,
      );
    } else if (n.kind === 'group') {
      const hosts = new Set(n.group.members.map((m) => m.host)).size;
      this.logger.info(
        { notification: 'group', group: n.group.id, kind: n.group.kind, hosts },
        `storm ${n.group.kind} on ${hosts} hosts`,
      );
    } else {
      this.logger.info({ notification: n.event.type, event: n.event }, n.event.type);
    }
    return Promise.resolve();
  }
}
