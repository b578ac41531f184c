import { describe, expect, it } from 'vitest';
import { REQUEST_DEADLINE_MS } from '../../src/http/deadline.js';
import { snapshot } from '../helpers/core.js';
import { eventually, ingestDrained, useBot } from '../helpers/bot.js';

const t = useBot();

/** The deadline, and room for a loaded machine's event loop; a hang lasts as long as the fault. */
const ANSWERED_WITHIN_MS = REQUEST_DEADLINE_MS + 1_500;
const FAULT_MS = 2 * REQUEST_DEADLINE_MS;

interface Answer {
  readonly host: string;
  readonly status: number;
  readonly ms: number;
}

/** `streams` clients each sending one snapshot of a new host after another, until `stop`. */
function traffic(prefix: string, streams = 16) {
  let stopped = false;
  let n = 0;
  const answers: Answer[] = [];
  const loops = Array.from({ length: streams }, async () => {
    while (!stopped) {
      const host = `${prefix}-${n++}`;
      const started = Date.now();
      const { status } = await t.bot.request('/v1/metrics', { body: snapshot({ host }) });
      answers.push({ host, status, ms: Date.now() - started });
      // As a client would, rather than spin on a Redis that is down.
      if (status === 503) await new Promise((r) => setTimeout(r, 50));
    }
  });
  return {
    answers,
    /** Resolves once `count` more answers are in. */
    async answered(count: number) {
      const until = answers.length + count;
      await eventually(() => (answers.length >= until ? true : undefined), 30_000, `${count} answers`);
    },
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

async function timed(path: string, init?: Parameters<typeof t.bot.request>[1]) {
  const started = Date.now();
  const { status } = await t.bot.request(path, init);
  return { path, status, ms: Date.now() - started };
}

/** What a user sees afterwards: a host is listed once one of its snapshots was decided. */
async function decidedHosts(prefix: string): Promise<Set<string>> {
  const { body } = await t.bot.request('/v1/hosts');
  return new Set((body as { hosts: { host: string }[] }).hosts.map((h) => h.host).filter((h) => h.startsWith(prefix)));
}

async function expectTrueAnswers(prefix: string, answers: readonly Answer[]) {
  await ingestDrained(t.redis);
  const decided = await decidedHosts(prefix);
  const accepted = answers.filter((a) => a.status === 202).map((a) => a.host);
  const refused = answers.filter((a) => a.status === 503).map((a) => a.host);
  console.info(
    `${prefix}: ${answers.length} answers, ${accepted.length} × 202, ${refused.length} × 503, ${decided.size} decided`,
  );
  expect(answers.filter((a) => a.status !== 202 && a.status !== 503)).toEqual([]);
  expect(answers.filter((a) => a.ms > ANSWERED_WITHIN_MS)).toEqual([]);
  expect(refused.length).toBeGreaterThan(0);
  // A 503'd snapshot is never decided, a 202'd one always is.
  expect(refused.filter((h) => decided.has(h))).toEqual([]);
  expect(accepted.filter((h) => !decided.has(h))).toEqual([]);
}

async function approvalsRequested(host: string): Promise<number> {
  const { body } = await t.bot.request(`/v1/audit?window=1h&host=${host}&type=approval.requested`);
  return (body as { entries: unknown[] }).entries.length;
}

describe('a frozen Redis (SIGSTOP longer than the deadline, then SIGCONT)', () => {
  it('answers every request within its deadline, and what it answered 503 is never stored', async () => {
    expect((await t.bot.request('/v1/metrics', { body: snapshot({ host: 'fw-frozen' }) })).status).toBe(202);
    await eventually(async () => ((await t.bot.request('/v1/hosts/fw-frozen')).status === 200 ? true : undefined));

    const load = traffic('frozen');
    await load.answered(50);
    t.redis.freeze();
    const frozenAt = Date.now();
    let reads;
    try {
      reads = await Promise.all([
        timed('/v1/hosts'),
        timed('/v1/hosts/fw-frozen'),
        timed('/v1/audit?window=1h'),
        timed('/readyz'),
        timed('/console/api/hosts'),
        timed('/console/api/audit?window=1h'),
        timed('/v1/requests/firewall', {
          body: {
            host: 'fw-frozen',
            action: 'open',
            port: 8443,
            protocol: 'tcp',
            reason: 'frozen',
            requested_by: 'bob',
          },
        }),
      ]);
      await new Promise((r) => setTimeout(r, FAULT_MS - (Date.now() - frozenAt)));
    } finally {
      t.redis.thaw();
    }
    await load.answered(50);
    await load.stop();

    expect(reads.filter((r) => r.status !== 503 || r.ms > ANSWERED_WITHIN_MS)).toEqual([]);
    await expectTrueAnswers('frozen', load.answers);
    // The firewall request answered 503 was not stored: the host's next evaluation asks for no approval.
    expect((await t.bot.request('/v1/metrics', { body: snapshot({ host: 'fw-frozen', disk_usage: 41 }) })).status).toBe(
      202,
    );
    await ingestDrained(t.redis);
    expect(await approvalsRequested('fw-frozen')).toBe(0);
  });
});

describe('a killed Redis (SIGKILL, restarted from its append-only file after the deadline)', () => {
  it('answers every request within its deadline, and what ioredis replays after a 503 is never decided', async () => {
    const load = traffic('killed');
    await load.answered(50);
    await t.redis.kill();
    await new Promise((r) => setTimeout(r, FAULT_MS));
    await t.redis.restart();
    await eventually(async () => ((await t.bot.request('/readyz')).status === 200 ? true : undefined), 30_000);
    await load.answered(50);
    await load.stop();
    await expectTrueAnswers('killed', load.answers);
  });
});
