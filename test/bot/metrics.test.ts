import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../src/events/log.js';
import { countAlert, countNotification } from '../../src/metrics.js';
import { publishFirewallDryRun } from '../helpers/events.js';
import { eventually, startTestBot, useBot, type TestBot } from '../helpers/bot.js';
import { snapshot } from '../helpers/core.js';
import { approvalIdOf, requestFirewall } from '../console/fixtures.js';

const t = useBot();
const approver = { platform: 'slack' as const, userId: 'UAPPROVER' };

async function scrape(bot: TestBot = t.bot): Promise<string> {
  const r = await fetch(`${bot.url}/metrics`);
  expect(r.status).toBe(200);
  return r.text();
}

/** The value of one series, e.g. `healgate_redis_up` or `healgate_agents{state="alive"}`. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const until = (series: string, wanted: (v: number) => boolean) =>
  eventually(
    async () => {
      const v = value(await scrape(), series);
      return v !== undefined && wanted(v) ? v : undefined;
    },
    10_000,
    series,
  );

describe('/metrics', () => {
  it('counts approvals, action results and HTTP requests by route, with Node metrics under their standard names', async () => {
    await requestFirewall(t.bot, 'm-web-1');
    const id = await approvalIdOf(t.bot, 'm-web-1');
    expect((await t.bot.approvals.approve(id, approver, 'ok')).ok).toBe(true);
    await publishFirewallDryRun(t.bot.connection.redis, 'm-web-1', id);
    const hostsRoute = 'healgate_http_requests_total{method="GET",route="/v1/hosts/:host",status="200"}';
    const before = value(await scrape(), hostsRoute) ?? 0;
    await t.bot.request('/v1/hosts/m-web-1');
    await t.bot.request('/no/such/path');

    await until('healgate_approval_outcomes_total{outcome="approved"}', (v) => v === 1);
    const text = await until(
      'healgate_action_results_total{action="firewall_port_change",outcome="dry_run",trigger="approval"}',
      (v) => v === 1,
    ).then(() => scrape());
    expect(value(text, 'healgate_approvals_requested_total')).toBe(1);
    expect(value(text, 'healgate_action_duration_seconds_count{action="firewall_port_change",outcome="dry_run"}')).toBe(
      1,
    );
    expect(value(text, hostsRoute)).toBe(before + 1);
    expect(value(text, 'healgate_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    // No host on a counter: a fleet would make its series unbounded.
    expect(text.split('\n').filter((l) => l.includes('_total{') && l.includes('m-web-1'))).toEqual([]);
    expect(value(text, 'healgate_ingest_to_decision_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'healgate_redis_up')).toBe(1);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).not.toContain('healgate_process_');
  });

  it('shows what the notifier and the Alertmanager route count', async () => {
    countNotification('slack', 'failed');
    countAlert('duplicate', 'resent');
    const text = await scrape();
    expect(value(text, 'healgate_notifications_total{platform="slack",result="failed"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'healgate_alerts_total{result="duplicate",reason="resent"}')).toBeGreaterThanOrEqual(1);
  });

  it('passes promtool check metrics', async () => {
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'm-full-1', disk_usage: 97 }) });
    await until('healgate_open_incidents{signal="disk_usage"}', (v) => v >= 1);
    const text = await scrape();
    const child = promisify(execFile)('promtool', ['check', 'metrics']);
    child.child.stdin!.end(text);
    const { stdout, stderr } = await child;
    expect(stdout + stderr).toBe('');
  });

  it('counts each event once across replicas, and a stopped replica leaves the counting group', async () => {
    const second = await startTestBot(t.redis);
    const client = t.redis.client();
    const consumers = async () => ((await client.xinfo('CONSUMERS', 'healgate:events', 'metrics')) as unknown[]).length;
    const events = new EventLog(client);
    let published = 0;
    // A consumer joins the group with the first entry it reads: publish until both replicas have counted some.
    await eventually(async () => {
      await events.publish({
        type: 'breaker.tripped',
        host: 'm-none',
        scope: 'host',
        reason: 'replica test',
        policy: 'test',
      });
      published += 1;
      return (await consumers()) === 2 ? true : undefined;
    });
    const trips = 'healgate_breaker_trips_total{scope="host"}';
    const both = async () => (value(await scrape(t.bot), trips) ?? 0) + (value(await scrape(second), trips) ?? 0);
    // Every entry handed to one replica or the other (each counts what it reads at once), then the sum.
    const delivered = async () => {
      const stream = (await client.xinfo('STREAM', 'healgate:events')) as unknown[];
      const groups = (await client.xinfo('GROUPS', 'healgate:events')) as unknown[][];
      const group = groups.find((g) => g[g.indexOf('name') + 1] === 'metrics')!;
      return group[group.indexOf('last-delivered-id') + 1] === stream[stream.indexOf('last-generated-id') + 1];
    };
    await eventually(async () => ((await delivered()) ? true : undefined), 10_000, 'the metrics group to catch up');
    expect(await both()).toBe(published);
    await second.close();
    expect(await consumers()).toBe(1);
  });

  it('answers within a second while Redis is down, with the last gauges and healgate_redis_up 0', async () => {
    await requestFirewall(t.bot, 'm-web-2');
    const pending = await until('healgate_pending_approvals', (v) => v >= 1);
    await t.redis.kill();
    await eventually(() => (t.bot.connection.redis.status !== 'ready' ? true : undefined));
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const text = await scrape();
      expect(performance.now() - started).toBeLessThan(1000);
      expect(value(text, 'healgate_redis_up')).toBe(0);
      expect(value(text, 'healgate_pending_approvals')).toBe(pending);
      expect(value(text, 'healgate_queue_depth{queue="ingest"}')).toBeDefined();
    }
    await t.redis.restart();
    await until('healgate_redis_up', (v) => v === 1);
  });
});
