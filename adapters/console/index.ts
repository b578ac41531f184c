import { userInfo } from 'node:os';
import type { AdapterFactory, ChatAdapter } from '../../src/chat/port.js';
import { ConsoleFeed } from './feed.js';
import { consoleMode } from './identity.js';
import { OidcLogin } from './oidc.js';
import { consoleRoutes } from './routes.js';
import { loadPublicFiles } from './static.js';

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (some containers): the name is only for attribution.
    return 'operator';
  }
}

/**
 * The web console: on by default, at `/` on the bot's own HTTP server. It
 * renders from the events stream itself (see feed.ts), so `deliver` has
 * nothing to do: chat notifications reach it whichever replica delivers them.
 */
export const consoleAdapter: AdapterFactory = {
  name: 'console',
  create({ config, services, logger, redis }): ChatAdapter {
    // Throws off loopback without CONSOLE_TOKEN: refusing to start beats an open approval page.
    const mode = consoleMode(
      config.httpHost,
      config.consoleToken,
      osUser(),
      config.consoleTrustedProxies,
      config.oidc !== undefined,
    );
    const oidc = config.oidc ? new OidcLogin(config.oidc, redis) : undefined;
    const feed = new ConsoleFeed(redis, services, logger, { backlog: 200, blockMs: 5000, hostsEveryMs: 2000 });
    return {
      name: 'console',
      deliver: () => Promise.resolve(),
      routes: consoleRoutes({ mode, services, redis, feed, files: loadPublicFiles(), ...(oidc ? { oidc } : {}) }),
      async start() {
        await feed.start();
        const host = config.httpHost.includes(':') ? `[${config.httpHost}]` : config.httpHost;
        logger.info({ mode: mode.kind }, `web console on http://${host}:${config.httpPort}/`);
      },
      close: () => feed.close(),
    };
  },
};
