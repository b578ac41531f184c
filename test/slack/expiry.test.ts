import { describe, expect, it } from 'vitest';
import { auditEntriesOf, actionJobs, eventually, policyFile } from '../helpers/bot.js';
import { buttonsOf, firewallAlert, updatesOf, useSlackBot, type SlackBot } from '../helpers/slack.js';
import { blockActions, interaction, modalError, viewSubmission, type SlackUser } from '../helpers/slack-requests.js';

const approver: SlackUser = { id: 'UAPPROVER', name: 'alice' };

// Requests expire 6 s after they are made: time to open the modal, then watch it run out.
const t: SlackBot = useSlackBot(async () => ({
  POLICY_FILE: await policyFile((y) => y.replace('timeout: 30m', 'timeout: 6s')),
}));

describe('an approval request that nobody decides in time', () => {
  it('expires: the message says so without buttons, a late submission is refused, nothing runs', async () => {
    const { host, id, ts } = await firewallAlert(t);
    const r = await interaction(t.bot.url, blockActions(approver, 'healgate_approve', id, ts));
    expect(r.status).toBe(200);
    const view = t.fake.of('views.open').at(-1)!.args.view as { callback_id: string; private_metadata: string };

    const updated = await eventually(
      () => updatesOf(t, ts).find((u) => String(u.args.text).includes('Expired')),
      15_000,
      'the expiry update',
    );
    expect(String(updated.args.text)).toMatch(
      new RegExp(`^Expired at <!date\\^\\d+\\^[^|]+\\|[^>]+> — no action taken — ${host}`),
    );
    expect(JSON.stringify(updated.args.blocks)).toMatch(/\*Decision\*\\nExpired at <!date\^\d+\^/);
    expect(buttonsOf(updated)).toEqual([]);

    const late = await interaction(t.bot.url, viewSubmission(approver, view, 'sorry, was at lunch'));
    expect(late.json).toEqual(modalError('This request expired; nothing was run.'));
    expect((await t.bot.approvals.get(id))?.status).toBe('expired');
    expect(await actionJobs(t.redis, host)).toEqual([]);
    expect(await auditEntriesOf(t.bot, `host=${host}&type=approval.expired`)).toHaveLength(1);
  });
});
