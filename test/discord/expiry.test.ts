import { describe, expect, it } from 'vitest';
import { actionJobs, eventually, policyFile } from '../helpers/bot.js';
import {
  buttonIds,
  callback,
  dana,
  ephemeralReply,
  fieldValue,
  firewallApproval,
  requestMessage,
  useDiscordBot,
} from './harness.js';

// Approvals expire after 2s here.
const t = useDiscordBot(async () => ({
  POLICY_FILE: await policyFile((y) => y.replace('timeout: 30m', 'timeout: 2s')),
}));

describe('Discord: an approval nobody decides', () => {
  it('expires: the message loses its buttons and says so, late clicks and submits are refused, nothing runs', async () => {
    const { host, id } = await firewallApproval(t.bot);
    const message = await requestMessage(t.fake, id);
    expect(buttonIds(message)).toHaveLength(2);
    // Someone opens the notes modal in time…
    expect((await callback(t.fake, t.fake.button(message, `healgate:approve:${id}`, dana))).type).toBe(9);

    await eventually(() => (message.components.length === 0 ? true : undefined), 10_000, 'the expiry edit');
    const expires = Math.floor(Date.parse((await t.bot.approvals.get(id))!.expires_at) / 1000);
    expect(fieldValue(message, 'Decision')).toBe(`Expired at <t:${expires}:f> — no action taken`);

    // …and submits it too late.
    const submit = t.fake.modalSubmit(message, `healgate:approve:${id}`, 'sorry, was in a meeting', dana);
    expect(await ephemeralReply(t.fake, submit)).toBe('This request expired; nothing was run.');
    const click = t.fake.button(message, `healgate:reject:${id}`, dana);
    expect(await ephemeralReply(t.fake, click)).toBe(`Already decided: Expired at <t:${expires}:f> — no action taken.`);
    expect(await actionJobs(t.redis, host)).toEqual([]);
    expect(await t.bot.approvals.get(id)).toMatchObject({ status: 'expired', decided_by: null });
  });
});
