import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/agent/agent.js';
import { auditDoc, diagnosisDoc } from '../../src/chat/view/commands.js';
import { createLogger } from '../../src/log.js';
import { DialCollector, startTestAgent } from '../helpers/agent.js';
import { startAlertmanager, type PostableAlert, type TestAlertmanager } from '../helpers/alertmanager.js';
import { eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

/**
 * The bot behind Debian's Alertmanager 0.25, configured as a new user
 * would: one webhook receiver and the default grouping, which puts every
 * alert in one notification, resent every 2 s while anything fires.
 */
let server: TestRedis;
let bot: TestBot;
let am: TestAlertmanager;
let twin: TestAlertmanager;
let agent: Agent | undefined;
const logLines: string[] = [];

beforeAll(async () => {
  server = await startRedis();
  const logger = createLogger('info', { destination: { write: (line: string) => void logLines.push(line) } });
  bot = await startTestBot(server, {}, {}, logger);
  const webhook = `${bot.url}/v1/alertmanager`;
  [am, twin] = await Promise.all([
    startAlertmanager({ webhook, repeatInterval: '2s' }),
    startAlertmanager({ webhook, repeatInterval: '2s' }),
  ]);
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await Promise.all([am?.stop(), twin?.stop()]);
  await bot?.close();
  await server?.stop();
});

// A fraction ending in 0, which Alertmanager (Go) writes back as `.12`: healgate shows it as it was sent.
const startsAt = new Date(Math.floor((Date.now() - 60_000) / 1000) * 1000 + 120).toISOString();

/** An alert as the stock node_exporter rules make it: percent free in the description's VALUE line. */
function alert(alertname: string, host: string, free?: number): PostableAlert {
  const labels = { alertname, instance: `${host}:9100`, job: 'node', severity: 'warning' };
  return {
    labels,
    annotations:
      free === undefined
        ? {}
        : {
            summary: `Host out of space (instance ${labels.instance})`,
            description: `Almost full (< 10% left)\n  VALUE = ${free}\n  LABELS = map[instance:${labels.instance}]`,
          },
    startsAt,
  };
}

const resolved = (a: PostableAlert): PostableAlert => ({ ...a, endsAt: new Date().toISOString() });

interface Incident {
  id: string;
  signal: string;
  status: string;
}

async function openIncidents(host: string): Promise<Incident[]> {
  const r = await bot.request(`/v1/hosts/${host}`);
  return r.status === 200 ? (r.body as { incidents: Incident[] }).incidents : [];
}

/** Waits until `host` has exactly `count` open incidents, and returns them. */
function incidentsReach(host: string, count: number, what = `${count} open incidents on ${host}`): Promise<Incident[]> {
  return eventually(
    async () => {
      const open = await openIncidents(host);
      return open.length === count ? open : undefined;
    },
    20_000,
    what,
  );
}

async function auditEntries(type: string, host?: string): Promise<{ host?: string; data?: Record<string, unknown> }[]> {
  const r = await bot.request(`/v1/audit?window=1h&type=${type}${host ? `&host=${host}` : ''}&limit=1000`);
  return (r.body as { entries: { host?: string; data?: Record<string, unknown> }[] }).entries;
}

/** A counter's value in a Prometheus text exposition; 0 when absent. */
function counter(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function botCounter(series: string): Promise<number> {
  return counter((await bot.request('/metrics')).body as string, series);
}

async function sentBy(instance: TestAlertmanager): Promise<number> {
  const text = await (await fetch(`${instance.url}/metrics`)).text();
  return counter(text, 'alertmanager_notifications_total{integration="webhook"}');
}

const DUPLICATE_FIRING = 'healgate_alerts_total{result="duplicate",reason="firing"}';

describe('a real Alertmanager 0.25 with its default grouping', () => {
  it('opens a disk and a memory incident for one host from one notification and keeps each open until its alert resolves', async () => {
    const disk = alert('HostOutOfDiskSpace', 'am-1', 2.5);
    const memory = alert('HostOutOfMemory', 'am-1', 4);
    await am.post([disk, memory]);
    const both = await incidentsReach('am-1', 2, 'both incidents of am-1');
    expect(both.map((i) => i.signal).sort()).toEqual(['disk_usage', 'memory_usage']);

    // Alertmanager resends the notification; nothing is reopened, resolved or audited again.
    const before = await botCounter(DUPLICATE_FIRING);
    await eventually(async () => ((await botCounter(DUPLICATE_FIRING)) >= before + 4 ? true : undefined), 20_000);
    expect((await openIncidents('am-1')).map((i) => i.id).sort()).toEqual(both.map((i) => i.id).sort());
    expect(await auditEntries('incident.opened', 'am-1')).toHaveLength(2);
    expect(await auditEntries('incident.resolved', 'am-1')).toHaveLength(0);
    expect(await auditEntries('alert.received', 'am-1')).toHaveLength(2);

    await am.post([resolved(disk)]);
    const left = await incidentsReach('am-1', 1, 'the disk incident to resolve');
    expect(left).toMatchObject([{ signal: 'memory_usage', id: both.find((i) => i.signal === 'memory_usage')!.id }]);
    expect((await auditEntries('incident.resolved', 'am-1')).map((e) => e.data?.signal)).toEqual(['disk_usage']);

    await am.post([resolved(memory)]);
    await incidentsReach('am-1', 0);
  });

  it('takes an alert sent by both members of an HA pair once', async () => {
    const disk = alert('HostOutOfDiskSpace', 'am-2', 2);
    const sent = await Promise.all([sentBy(am), sentBy(twin)]);
    await Promise.all([am.post([disk]), twin.post([disk])]);
    // Both have notified at least twice: the first sending and a resend each.
    await eventually(
      async () => {
        const now = await Promise.all([sentBy(am), sentBy(twin)]);
        return now[0] >= sent[0] + 2 && now[1] >= sent[1] + 2 ? true : undefined;
      },
      20_000,
      'both Alertmanagers to notify',
    );
    await incidentsReach('am-2', 1);
    expect(await auditEntries('alert.received', 'am-2')).toHaveLength(1);
    expect(await auditEntries('incident.opened', 'am-2')).toHaveLength(1);
  });

  it("keeps an alert's incident open through its host agent's healthy poll", async () => {
    const disk = alert('HostOutOfDiskSpace', 'am-3', 3);
    await am.post([disk]);
    const [incident] = await incidentsReach('am-3', 1);
    interface HostView {
      snapshot: { disk_usage: number };
      history: unknown[];
      sources: { disk_usage: { source: { kind: string }; reading: { source: string; value: number } | null } };
    }
    const view = async () => (await bot.request('/v1/hosts/am-3')).body as HostView;
    const points = (await view()).history.length;
    const dial = new DialCollector('am-3');
    dial.disk = 24.7;
    agent = await startTestAgent(server, 'am-3', {}, { collector: dial });
    // Its first poll comes at once: a point more in the host's trend once it is decided.
    const host = await eventually(
      async () => {
        const body = await view();
        return body.history.length > points ? body : undefined;
      },
      20_000,
      "the agent's poll to be decided",
    );
    expect(await openIncidents('am-3')).toEqual([incident]);
    expect(host.snapshot.disk_usage).toBe(97);
    expect(host.sources.disk_usage).toMatchObject({
      source: { kind: 'alert' },
      reading: { source: 'agent', value: 24.7 },
    });

    // /diagnose measures afresh through the agent, and still decides on the alert's value, saying so.
    const reply = await bot.chat.command('diagnose', 'am-3');
    if (reply.kind !== 'diagnose') throw new Error(`expected a diagnosis, got ${reply.kind}`);
    expect(reply.diagnosis).toMatchObject({ fresh: true, snapshot: { disk_usage: 97 } });
    expect(reply.diagnosis.decision.signals.map((s) => s.signal)).toContain('disk_usage');
    const doc = diagnosisDoc(reply.diagnosis, {
      disk_usage: 90,
      memory_usage: 90,
      cpu_usage: 90,
      dns_latency_ms: 200,
      firewall_change_requested: 1,
    });
    expect(doc.lines).toContain(
      `Disk 97% from alert HostOutOfDiskSpace (firing since ${startsAt}); the agent reads 24.7%`,
    );

    await am.post([resolved(disk)]);
    await incidentsReach('am-3', 0);
    const [entry] = await auditEntries('incident.resolved', 'am-3');
    // Resolved by the alert, at the value the agent measured.
    expect(entry?.data).toMatchObject({ signal: 'disk_usage', value: 24.7 });
  });

  it('counts, logs and audits an alert with an unknown alertname, once however often it is resent', async () => {
    const IGNORED = 'healgate_alerts_total{result="ignored",reason="unknown_alertname"}';
    const before = await botCounter(IGNORED);
    await am.post([alert('Watchdog', 'am-4')]);
    await eventually(async () => ((await botCounter(IGNORED)) >= before + 2 ? true : undefined), 20_000);
    const logged = logLines.filter((l) => l.includes('"alertname":"Watchdog"'));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]!)).toMatchObject({
      level: 40,
      reason: 'unknown_alertname',
      msg: "alert ignored: alert Watchdog is not in the policy's alertmanager table",
    });
    const audited = await auditEntries('alert.ignored');
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ outcome: 'unknown_alertname', data: { alertname: 'Watchdog' } });
    expect(await openIncidents('am-4')).toEqual([]);
    const summary = await bot.chat.command('audit', '1h');
    if (summary.kind !== 'audit') throw new Error(`expected an audit summary, got ${summary.kind}`);
    expect(auditDoc(summary.window, summary.summary).lines).toContain(
      'Alertmanager alerts ignored: 1 (entries of type alert.ignored say why)',
    );
  });
  it('warns once when a firing alert opens nothing because its value does not pass the threshold', async () => {
    // HostHighCpuLoad reads used percent; 12 % busy is no breach, whatever fired the alert.
    await am.post([alert('HostHighCpuLoad', 'am-5', 12)]);
    const warned = await eventually(
      () => logLines.find((l) => l.includes('"alertname":"HostHighCpuLoad"') && l.includes('opens nothing')),
      20_000,
      'the warning',
    );
    expect(JSON.parse(warned)).toMatchObject({
      level: 40,
      msg: "alert HostHighCpuLoad fires with cpu_usage 12, which does not pass the policy's threshold (> 90): it opens nothing; if its value is percent free (as the stock node_exporter rules compute), set value_is: free",
    });
    const resent = 'healgate_alerts_total{result="duplicate",reason="firing"}';
    const before = await botCounter(resent);
    await eventually(async () => ((await botCounter(resent)) > before ? true : undefined), 20_000);
    expect(logLines.filter((l) => l.includes('"alertname":"HostHighCpuLoad"'))).toHaveLength(1);
    expect(await openIncidents('am-5')).toEqual([]);
  });
});
