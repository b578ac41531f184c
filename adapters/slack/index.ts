import type { AdapterFactory } from '../../src/chat/port.js';
import { SlackAdapter } from './adapter.js';

/** Slack, when SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set. */
export const slackAdapter: AdapterFactory = {
  name: 'slack',
  create: ({ config, services, logger }) =>
    config.slack ? new SlackAdapter(config.slack, services, logger) : undefined,
};
