import { describe, expect, it } from 'vitest';
import { restOptions } from '../../adapters/discord/client.js';
import { COMMANDS, commandText, hostChoices, sameCommands } from '../../adapters/discord/commands.js';
import { parseDecisionId } from '../../adapters/discord/custom-ids.js';
import { messageBody } from '../../adapters/discord/embeds.js';
import type { MessageDoc } from '../../src/chat/view/doc.js';

const doc = (over: Partial<MessageDoc> = {}): MessageDoc => ({
  text: 'Approval needed on web_1',
  title: 'Approval needed — dns_config_change on web_1',
  tone: 'danger',
  fields: [{ label: 'Host', value: 'web_1' }],
  lines: ['dns_latency_ms 400 > 250'],
  ...over,
});

describe('Discord messages', () => {
  it('shows a pending request with Approve and Reject carrying its id, and a decided one without buttons', () => {
    const pending = messageBody(doc({ decide: { approvalId: 'apr-0123456789abcdef' } }));
    expect(pending.components[0]?.components.map((b) => b.custom_id)).toEqual([
      'healgate:approve:apr-0123456789abcdef',
      'healgate:reject:apr-0123456789abcdef',
    ]);
    expect(messageBody(doc()).components).toEqual([]);
    expect(pending.allowed_mentions).toEqual({ parse: [] });
  });

  it('escapes markdown in what it shows, so host names and notes read as typed', () => {
    const [embed] = messageBody(doc({ lines: ['notes: *not* bold'] })).embeds;
    expect(embed?.title).toBe('Approval needed — dns\\_config\\_change on web\\_1');
    expect(embed?.fields?.[0]).toEqual({ name: 'Host', value: 'web\\_1', inline: true });
    expect(embed?.description).toBe('notes: \\*not\\* bold');
  });

  it("cuts every part to Discord's embed limits instead of having the message refused", () => {
    const many = doc({ fields: Array.from({ length: 30 }, (_, i) => ({ label: `f${i}`, value: 'v' })) });
    expect(messageBody(many).embeds[0]?.fields).toHaveLength(25);
    const huge = doc({
      title: 't'.repeat(400),
      fields: Array.from({ length: 30 }, (_, i) => ({ label: `f${i}`, value: 'v'.repeat(2000) })),
      lines: Array.from({ length: 100 }, () => 'l'.repeat(100)),
    });
    const [embed] = messageBody(huge).embeds;
    expect(embed?.title).toHaveLength(256);
    expect(embed?.fields?.length).toBeGreaterThan(0);
    expect(embed?.fields?.every((f) => f.value.length <= 1024 && !f.inline)).toBe(true);
    const total =
      (embed?.title?.length ?? 0) +
      (embed?.description?.length ?? 0) +
      (embed?.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(6000);
  });

  it('reads back only its own custom ids', () => {
    expect(parseDecisionId('healgate:reject:apr-0123456789abcdef')).toEqual({
      verb: 'reject',
      approvalId: 'apr-0123456789abcdef',
    });
    expect(parseDecisionId('healgate:run:apr-0123456789abcdef')).toBeUndefined();
    expect(parseDecisionId('healgate:approve:apr-../../x')).toBeUndefined();
  });
});

describe('Discord settings and commands', () => {
  it('takes DISCORD_API_URL with or without the API version', () => {
    expect(restOptions('https://discord.com/api/v10')).toEqual({ api: 'https://discord.com/api', version: '10' });
    expect(restOptions('http://127.0.0.1:9/api/')).toEqual({ api: 'http://127.0.0.1:9/api', version: '10' });
  });

  it('turns slash command options into the text every platform parses', () => {
    expect(commandText('diagnose', [{ name: 'host', value: 'web-1' }])).toEqual({ name: 'diagnose', text: 'web-1' });
    expect(commandText('audit', [])).toEqual({ name: 'audit', text: '' });
    expect(commandText('audit', [{ name: 'host', value: 'verify' }])).toEqual({ name: 'audit', text: '24h verify' });
    expect(commandText('audit', [{ name: 'verify', value: true }])).toEqual({ name: 'audit', text: 'verify' });
    expect(commandText('audit', [{ name: 'window', value: '99999d' }])).toMatchObject({
      usage: expect.stringMatching(/^The window must be between/) as string,
    });
    expect(commandText('audit', [{ name: 'verify', value: 'yes' }])).toMatchObject({
      usage: expect.any(String) as string,
    });
  });

  it('completes hosts: those starting with the typed text first, at most 25', () => {
    const hosts = ['db-1', 'web-db', 'web-1', ...Array.from({ length: 40 }, (_, i) => `db-x${i}`)];
    const choices = hostChoices(hosts, 'DB');
    expect(choices).toHaveLength(25);
    expect(choices[0]).toEqual({ name: 'db-1', value: 'db-1' });
    expect(hostChoices(hosts, 'web').map((c) => c.value)).toEqual(['web-db', 'web-1']);
  });

  it("sees Discord's copy of the commands as the same despite the fields Discord adds", () => {
    const remote = COMMANDS.map((c) => ({ ...c, id: '1', application_id: '2', version: '3', nsfw: false })).reverse();
    expect(sameCommands(remote, COMMANDS)).toBe(true);
    expect(sameCommands(remote.slice(1), COMMANDS)).toBe(false);
    expect(sameCommands([{ ...COMMANDS[0], description: 'old text' }, COMMANDS[1]], COMMANDS)).toBe(false);
  });
});
