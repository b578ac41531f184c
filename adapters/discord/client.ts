import { once } from 'node:events';
import { Client, Events, GatewayIntentBits } from 'discord.js';
import type { DiscordConfig } from '../../src/config/types.js';

/**
 * DISCORD_API_URL may name the API version (`https://discord.com/api/v10`,
 * as Discord documents it) or not (`…/api`); discord.js appends
 * `/v{version}` itself, so the version is split off here.
 */
export function restOptions(apiUrl: string): { readonly api: string; readonly version: string } {
  const url = apiUrl.replace(/\/+$/, '');
  const versioned = /^(.*)\/v(\d+)$/.exec(url);
  return versioned ? { api: versioned[1]!, version: versioned[2]! } : { api: url, version: '10' };
}

/**
 * Interactions need no intent; `Guilds` brings the guild with its roles,
 * which is how a member's role ids reach `discord-role:` approver rules.
 * No privileged intent (members, message content) is asked for.
 */
export function createClient(config: DiscordConfig): Client {
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: restOptions(config.apiUrl) });
  // REST works without the gateway: posting and registering commands need only the token.
  client.rest.setToken(config.token);
  return client;
}

/** Logs in over the gateway and waits until discord.js is ready, or fails after `timeoutMs`. */
export async function connect(client: Client, token: string, timeoutMs: number): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  const ready = once(client, Events.ClientReady, { signal });
  try {
    await Promise.all([client.login(token), ready]);
  } catch (err) {
    if (signal.aborted) throw new Error(`Discord: the gateway did not become ready within ${timeoutMs / 1000}s`);
    throw err;
  }
}
