import type { AdapterFactory } from '../src/chat/port.js';
import { consoleAdapter } from './console/index.js';
import { discordAdapter } from './discord/index.js';
import { slackAdapter } from './slack/index.js';

/**
 * Every chat platform healgate knows. The bot asks each factory for an
 * adapter; one that is not configured returns undefined. A new platform is
 * a folder here and a line in this list.
 */
export const adapterFactories: readonly AdapterFactory[] = [consoleAdapter, slackAdapter, discordAdapter];
