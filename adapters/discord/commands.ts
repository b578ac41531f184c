import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  Routes,
  type APIApplicationCommandOptionChoice,
  type REST,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { z } from 'zod';
import { parseCommand, USAGE, type CommandName } from '../../src/chat/commands.js';
import { parseDuration } from '../../src/core/policy/duration.js';

/** `/diagnose host:<host>` and `/audit [window] [host] [verify]`, as Discord shows them. */
export const COMMANDS: readonly RESTPostAPIChatInputApplicationCommandsJSONBody[] = [
  {
    name: 'diagnose',
    type: ApplicationCommandType.ChatInput,
    description: "A host's latest snapshot, trend, the model's view and the policy's decision",
    options: [
      {
        type: ApplicationCommandOptionType.String,
        name: 'host',
        description: 'Host name',
        required: true,
        autocomplete: true,
      },
    ],
  },
  {
    name: 'audit',
    type: ApplicationCommandType.ChatInput,
    description: 'Audit summary of a time window (and host), or a check of the audit chain',
    options: [
      { type: ApplicationCommandOptionType.String, name: 'window', description: '1h, 24h (default), 7d…' },
      { type: ApplicationCommandOptionType.String, name: 'host', description: 'Only this host', autocomplete: true },
      {
        type: ApplicationCommandOptionType.Boolean,
        name: 'verify',
        description: "Verify the audit log's hash chain instead of summarising",
      },
    ],
  },
];

/** The parts of a command that registration sets; what Discord adds (ids, versions) is left out of the comparison. */
const registered = z.array(
  z.object({
    name: z.string(),
    type: z.number().default(ApplicationCommandType.ChatInput),
    description: z.string(),
    options: z
      .array(
        z.object({
          type: z.number(),
          name: z.string(),
          description: z.string(),
          required: z.boolean().default(false),
          autocomplete: z.boolean().default(false),
        }),
      )
      .default([]),
  }),
);

/** Same names, descriptions and options, in any order of commands. */
export function sameCommands(remote: unknown, wanted: readonly unknown[]): boolean {
  const a = registered.safeParse(remote);
  if (!a.success) return false;
  const key = (cs: z.output<typeof registered>) => JSON.stringify([...cs].sort((x, y) => x.name.localeCompare(y.name)));
  return key(a.data) === key(registered.parse(wanted));
}

export interface CommandScope {
  readonly applicationId: string;
  /** Guild commands show up at once; global ones can take up to an hour to reach every client. */
  readonly guildId?: string;
}

/**
 * Registers the commands unless Discord already has exactly these: a
 * restart or a second replica changes nothing. Bulk overwrite also removes
 * commands an older version registered.
 */
export async function registerCommands(rest: REST, scope: CommandScope): Promise<'unchanged' | 'registered'> {
  const route = scope.guildId
    ? Routes.applicationGuildCommands(scope.applicationId, scope.guildId)
    : Routes.applicationCommands(scope.applicationId);
  if (sameCommands(await rest.get(route), COMMANDS)) return 'unchanged';
  await rest.put(route, { body: COMMANDS });
  return 'registered';
}

const options = z.object({
  host: z.string().max(100).optional(),
  window: z.string().max(100).optional(),
  verify: z.boolean().optional(),
});

/**
 * A slash command's options as the text the chat commands parse, so that
 * Discord answers exactly what `/audit 7d host-1` answers elsewhere; a
 * usage reply when they do not make a command.
 */
export function commandText(
  name: string,
  given: readonly { readonly name: string; readonly value?: string | number | boolean }[],
): { readonly name: CommandName; readonly text: string } | { readonly usage: string } {
  const parsed = options.safeParse(Object.fromEntries(given.map((o) => [o.name, o.value])));
  if (!parsed.success) return { usage: `Unexpected options. ${USAGE.diagnose}; ${USAGE.audit}` };
  const { host, window, verify } = parsed.data;
  if (verify && (window || host)) return { usage: 'verify checks the whole log: leave out window and host.' };
  // Typed into its own option, a window is never read as a host.
  if (window !== undefined && parseDuration(window) === undefined)
    return { usage: `"${window.slice(0, 40)}" is not a window: use 1h, 24h, 7d… ${USAGE.audit}` };
  // The window is spelt out so that a host named like a keyword is still read as a host.
  const text =
    name === 'diagnose' ? (host ?? '') : verify ? 'verify' : host ? `${window ?? '24h'} ${host}` : (window ?? '');
  const command = parseCommand(name, text);
  if ('usage' in command) return command;
  return { name: command.kind === 'diagnose' ? 'diagnose' : 'audit', text };
}

/** Known hosts matching what is typed so far: those starting with it first; at most Discord's 25. */
export function hostChoices(hosts: readonly string[], typed: string): APIApplicationCommandOptionChoice<string>[] {
  const q = typed.trim().toLowerCase();
  const starts = hosts.filter((h) => h.toLowerCase().startsWith(q));
  const contains = hosts.filter((h) => !h.toLowerCase().startsWith(q) && h.toLowerCase().includes(q));
  return [...starts, ...contains].slice(0, 25).map((h) => ({ name: h, value: h }));
}
