import { describe, expect, it } from 'vitest';
import type { ActionJob } from '../../src/actions/queues.js';
import { signerFor } from '../../src/actions/signing.js';
import { keys } from '../../src/redis/keys.js';
import type { ActionReport } from '../../src/reports/schema.js';
import { ReportWriter } from '../../src/reports/writer.js';
import { auditEntriesOf, eventually, useBot } from '../helpers/bot.js';
import { snapshot } from '../helpers/core.js';
import { actionResults } from '../helpers/events.js';

const ctx = useBot();

function report(host: string, key: string, jobHost = host): ActionReport {
  const job: ActionJob = {
    key,
    host: jobHost,
    trigger: 'approval',
    approval_id: null,
    incident_ids: [],
    actions: [{ id: 'restart_service', params: {} }],
    enqueued_at: new Date().toISOString(),
  };
  return {
    job: signerFor({}).signer.sign(job, new Date()),
    run: {
      job_id: key,
      host: jobHost,
      trigger: 'approval',
      approval_id: null,
      incident_ids: [],
      outcome: 'success',
      dry_run: false,
      actions: [{ id: 'restart_service', outcome: 'success', steps: [] }],
      reading: null,
      detail: 'restart_service ran successfully.',
    },
    duration_ms: 12,
  };
}

type AuditPage = { entries: { type: string; data: { job_id?: string } }[] };
const auditedJobs = async (host: string) =>
  ((await ctx.bot.request(`/v1/audit?window=1h&host=${host}&type=action.result`)).body as AuditPage).entries.map(
    (e) => e.data.job_id,
  );

describe("the bot's consumer of agent reports", () => {
  it('audits and announces a result once, however often the agent sends it', async () => {
    // As the agent writes them: under its own Redis user.
    const writer = new ReportWriter(await ctx.redis.agentClient('rep-1'), 'rep-1');
    await writer.announce();
    const r = report('rep-1', 'rep-1-job.restart_service');
    // An agent that crashed after sending, before marking the run reported, sends it again.
    await writer.action(r);
    await writer.action(r);
    await writer.action(report('rep-1', 'rep-1-next.restart_service'));
    await eventually(async () =>
      (await actionResults(ctx.redis.client(), 'rep-1-next.restart_service')).length ? true : undefined,
    );
    expect(await actionResults(ctx.redis.client(), r.job.key)).toHaveLength(1);
    await auditEntriesOf(ctx.bot, 'host=rep-1&type=action.result', 2);
    expect(await auditedJobs('rep-1')).toEqual(['rep-1-next.restart_service', r.job.key]);
    // Handled entries leave the stream.
    await eventually(async () =>
      (await ctx.redis.client().xlen(keys.agentReports('rep-1'))) === 0 ? true : undefined,
    );
  });

  it("refuses what one host's stream says about another host, and still handles its own", async () => {
    const client = ctx.redis.client();
    const agent = await ctx.redis.agentClient('rep-2');
    const writer = new ReportWriter(agent, 'rep-2');
    await writer.announce();
    await writer.action(report('rep-2', 'victim-job.restart_service', 'victim'));
    await writer.snapshot(snapshot({ host: 'victim', disk_usage: 99 }), Date.now());
    await agent.xadd(keys.agentReports('rep-2'), '*', 'id', 'junk', 'report', '{"not":"a report"}');
    await writer.snapshot(snapshot({ host: 'rep-2', disk_usage: 41 }), Date.now());
    await writer.action(report('rep-2', 'own-job.restart_service'));

    await eventually(async () => ((await actionResults(client, 'own-job.restart_service')).length ? true : undefined));
    await eventually(async () => ((await client.hget(keys.host('rep-2'), 'snapshot')) ? true : undefined));
    expect(await actionResults(client, 'victim-job.restart_service')).toEqual([]);
    expect(await auditedJobs('victim')).toEqual([]);
    await auditEntriesOf(ctx.bot, 'host=rep-2&type=action.result');
    expect(await auditedJobs('rep-2')).toEqual(['own-job.restart_service']);
    expect(await client.hget(keys.host('victim'), 'snapshot')).toBeNull();
    // The bot keeps the fleet's heartbeat index from the snapshots it took.
    expect(await client.zscore(keys.agents, 'rep-2')).not.toBeNull();
    expect(await client.zscore(keys.agents, 'victim')).toBeNull();
  });

  it('makes its groups again when Redis lost them, and goes on reading', async () => {
    const client = ctx.redis.client();
    await client.flushall();
    const writer = new ReportWriter(await ctx.redis.agentClient('rep-3'), 'rep-3');
    await writer.announce();
    await writer.action(report('rep-3', 'after-flush.restart_service'));
    await eventually(
      async () => ((await actionResults(client, 'after-flush.restart_service')).length ? true : undefined),
      15_000,
    );
  });
});
