import { describe, expect, it } from 'vitest';
import { snapshot } from '../helpers/core.js';
import { actionJobs, eventually, useBot } from '../helpers/bot.js';

const t = useBot();

interface AuditEntry {
  type: string;
  host?: string;
  action?: string;
  incident_id?: string;
}

async function auditOf(host: string): Promise<AuditEntry[]> {
  const { body } = await t.bot.request(`/v1/audit?window=1h&host=${host}&limit=1000`);
  return (body as { entries: AuditEntry[] }).entries;
}

describe('POST /v1/metrics → decision → audit', () => {
  it('turns a disk breach into an incident, one auto-heal job and audit entries', async () => {
    const posted = await t.bot.request('/v1/metrics', { body: snapshot({ host: 'web-1', disk_usage: 93 }) });
    expect(posted).toEqual({ status: 202, body: { accepted: 1 } });

    const host = await eventually(async () => {
      const r = await t.bot.request('/v1/hosts/web-1');
      const body = r.body as { decision: { decision: string }; incidents: { signal: string; status: string }[] };
      return r.status === 200 && body.incidents.length > 0 ? body : undefined;
    });
    expect(host.decision.decision).toBe('AUTO_HEAL');
    expect(host.incidents).toMatchObject([{ signal: 'disk_usage', status: 'open' }]);

    const entries = await eventually(async () => {
      const e = await auditOf('web-1');
      return e.some((x) => x.type === 'action.enqueued') ? e : undefined;
    });
    expect(entries.map((e) => e.type).sort()).toEqual(['action.enqueued', 'decision', 'incident.opened']);
    const jobs = await actionJobs(t.redis, 'web-1');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.id).toBe(`${entries.find((e) => e.type === 'incident.opened')!.incident_id}.disk_cleanup`);
    expect(jobs[0]!.data).toMatchObject({
      trigger: 'auto_heal',
      actions: [{ id: 'disk_cleanup', params: { journal_max_size: '500M' } }],
    });
  });

  it('does not announce or heal again while the condition stays open, and resolves it when it clears', async () => {
    await t.bot.request('/v1/metrics', {
      body: [snapshot({ host: 'web-1', disk_usage: 94 }), snapshot({ host: 'web-1', disk_usage: 95 })],
    });
    await eventually(
      async () =>
        ((await t.bot.request('/v1/hosts/web-1')).body as { snapshot: { disk_usage: number } }).snapshot.disk_usage ===
          95 || undefined,
    );
    expect(await actionJobs(t.redis, 'web-1')).toHaveLength(1);
    expect((await auditOf('web-1')).filter((e) => e.type === 'incident.opened')).toHaveLength(1);

    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'web-1', disk_usage: 60 }) });
    const resolved = await eventually(async () => (await auditOf('web-1')).find((e) => e.type === 'incident.resolved'));
    expect(resolved).toMatchObject({ host: 'web-1' });
    const host = (await t.bot.request('/v1/hosts/web-1')).body as { incidents: unknown[]; history: number[][] };
    expect(host.incidents).toEqual([]);
    expect(host.history.map((p) => p[1])).toEqual([93, 94, 95, 60]);
  });

  it('does not audit healthy snapshots, but counts them', async () => {
    const counted = async () =>
      Number(
        /healgate_decisions_total\{decision="NO_ACTION"\} (\d+)/.exec(
          (await t.bot.request('/metrics')).body as string,
        )?.[1] ?? 0,
      );
    const before = await counted();
    await t.bot.request('/v1/metrics', { body: Array.from({ length: 50 }, () => snapshot({ host: 'quiet-1' })) });
    await eventually(async () =>
      ((await t.bot.request('/v1/hosts')).body as { hosts: { host: string }[] }).hosts.find(
        (h) => h.host === 'quiet-1',
      ),
    );
    expect(await auditOf('quiet-1')).toEqual([]);
    await eventually(async () => ((await counted()) === before + 50 ? true : undefined));
    const metrics = (await t.bot.request('/metrics')).body as string;
    expect(metrics).toContain('healgate_pending_approvals');
    expect(metrics).toContain('healgate_queue_depth{queue="ingest"}');
    expect(metrics).toContain('nodejs_eventloop_lag');
  });
});

describe('bad input changes nothing', () => {
  it('answers 400 naming the item and field, and enqueues nothing when any item is invalid', async () => {
    const before = (await t.bot.request('/v1/hosts')).body;
    const r = await t.bot.request('/v1/metrics', {
      body: [snapshot({ host: 'new-1' }), { ...snapshot({ host: 'new-2' }), cpu_usage: 140 }, { host: 'x' }],
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      error: 'invalid snapshot(s); nothing was accepted',
      issues: expect.arrayContaining([
        { item: 1, field: 'cpu_usage', message: 'must be <= 100 (percent)' },
        { item: 2, field: 'disk_usage', message: 'is required' },
      ]) as unknown,
    });
    await new Promise((res) => setTimeout(res, 300));
    expect((await t.bot.request('/v1/hosts')).body).toEqual(before);
  });

  it('refuses malformed JSON, oversized batches and bodies', async () => {
    expect((await t.bot.request('/v1/metrics', { raw: '{"host": ' })).status).toBe(400);
    const many = Array.from({ length: 1001 }, (_, i) => snapshot({ host: `h${i}` }));
    const tooMany = await t.bot.request('/v1/metrics', { body: many });
    expect(tooMany).toMatchObject({ status: 413, body: { error: 'at most 1000 snapshots per request; got 1001' } });
    const huge = await t.bot.request('/v1/metrics', { body: { ...snapshot(), padding: 'x'.repeat(1_100_000) } });
    expect(huge.status).toBe(413);
  });

  it('answers 404 for an unknown host and 400 for a bad host name', async () => {
    expect((await t.bot.request('/v1/hosts/nobody')).status).toBe(404);
    expect((await t.bot.request('/v1/hosts/-bad')).status).toBe(400);
  });
});

describe('health', () => {
  it('is live and ready with Redis and workers up', async () => {
    expect(await t.bot.request('/healthz')).toEqual({ status: 200, body: { ok: true } });
    expect(await t.bot.request('/readyz')).toEqual({ status: 200, body: { ready: true, redis: true, workers: true } });
  });
});
