import { expect } from 'vitest';
import { eventually, type TestBot } from '../helpers/bot.js';
import { snapshot } from '../helpers/core.js';

/** A host with a few snapshots of history and a firewall change requested on it by slack:UREQ. */
export async function requestFirewall(
  bot: TestBot,
  host: string,
  reason = 'open the health check port',
): Promise<void> {
  for (const disk of [52, 55, 61, 64])
    expect((await bot.request('/v1/metrics', { body: snapshot({ host, disk_usage: disk }) })).status).toBe(202);
  await eventually(async () => ((await bot.request(`/v1/hosts/${host}`)).status === 200 ? true : undefined));
  const r = await bot.request('/v1/requests/firewall', {
    body: { host, action: 'open', port: 8443, protocol: 'tcp', reason, requested_by: 'slack:UREQ' },
  });
  expect(r.status).toBe(202);
}

/** The id of the approval requested for this host, once the audit has it. */
export function approvalIdOf(bot: TestBot, host: string): Promise<string> {
  return eventually(async () => {
    const { body } = await bot.request(`/v1/audit?window=1h&host=${host}&type=approval.requested`);
    return (body as { entries: { approval_id: string }[] }).entries[0]?.approval_id;
  });
}
