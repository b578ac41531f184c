/**
 * Audit summary cost against the size of the log: summary() over a 7-day
 * window after 1,000 entries and again after 1,000,000 entries spread over
 * the same window, hosts and types. The summary reads rollups, never the
 * stream, so the two figures should be close (goal: ratio <= 1.5x).
 * Run: node --import tsx bench/audit-summary.ts   (AUDIT_BENCH_ENTRIES to change the large size)
 * Starts its own redis-server; needs about 1 GB of memory and 3-4 minutes.
 */
import { cpus } from 'node:os';
import { AuditLog, type AuditEntryInput } from '../src/audit/index.js';
import { mulberry32, type Rng } from '../model/training/prng.js';
import { startRedis } from '../test/helpers/redis.js';

const SMALL = 1_000;
const LARGE = Number(process.env.AUDIT_BENCH_ENTRIES ?? 1_000_000);
const HOSTS = Array.from({ length: 20 }, (_, i) => `host-${String(i + 1).padStart(2, '0')}`);
const WINDOW_MS = 7 * 86_400_000;
const BATCH = 2_000;
const WARMUP = 20;
const RUNS = 201;

/** A plausible mix: mostly decisions and alerts, some healing, a few approvals. */
function entry(rng: Rng): AuditEntryInput {
  const host = HOSTS[Math.floor(rng() * HOSTS.length)]!;
  const r = rng();
  if (r < 0.4)
    return {
      type: 'decision',
      host,
      decision: rng() < 0.8 ? 'NO_ACTION' : rng() < 0.7 ? 'AUTO_HEAL' : 'HITL_REQUIRED',
      model: 'severity-2026-11-25.1',
      policy: 'default@9ebbb7e53bc7',
      data: { reasons: ['disk_usage 91.5 > 85'] },
    };
  if (r < 0.55) return { type: 'alert.received', host, data: { alertname: 'HostDiskFull', status: 'firing' } };
  if (r < 0.63) return { type: 'incident.opened', host, incident_id: `inc-${Math.floor(rng() * 1e9)}` };
  if (r < 0.7) return { type: 'incident.resolved', host, incident_id: `inc-${Math.floor(rng() * 1e9)}` };
  if (r < 0.78) return { type: 'action.enqueued', host, action: 'disk_cleanup', trigger: 'auto_heal' };
  if (r < 0.86) {
    const o = rng();
    return {
      type: 'action.result',
      host,
      action: 'disk_cleanup',
      trigger: rng() < 0.7 ? 'auto_heal' : 'approval',
      outcome: o < 0.8 ? 'success' : o < 0.95 ? 'failure' : 'unknown',
      duration_ms: Math.floor(rng() * 5000),
    };
  }
  if (r < 0.9) return { type: 'approval.requested', host, approval_id: `apr-${Math.floor(rng() * 1e9)}` };
  if (r < 0.93)
    return {
      type: 'approval.approved',
      host,
      actor: 'slack:U123',
      platform: 'slack',
      duration_ms: Math.floor(rng() * 1_800_000),
    };
  if (r < 0.94)
    return {
      type: 'approval.rejected',
      host,
      actor: 'discord:4567',
      platform: 'discord',
      duration_ms: Math.floor(rng() * 1_800_000),
    };
  if (r < 0.95) return { type: 'approval.expired', host, duration_ms: 1_800_000 };
  if (r < 0.955) return { type: 'approval.refused', host, actor: 'slack:U999' };
  if (r < 0.96) return { type: 'breaker.tripped', notes: 'fleet-wide: 5 hosts auto-healing' };
  return { type: 'firewall.requested', host, data: { port: 8443, proto: 'tcp', rule: 'allow' } };
}

/** `total` entries at even steps across the window, oldest first, in pipelined batches. */
async function fill(audit: AuditLog, rng: Rng, total: number, windowStart: number): Promise<number> {
  const started = performance.now();
  for (let done = 0; done < total;) {
    const n = Math.min(BATCH, total - done);
    const items = Array.from({ length: n }, (_, i) => ({
      entry: entry(rng),
      at: new Date(windowStart + Math.floor(((done + i) / total) * WINDOW_MS)),
    }));
    await audit.appendMany(items);
    done += n;
    if (total >= 100_000 && done % 100_000 === 0) process.stderr.write(`  ${done.toLocaleString('en-US')} written\n`);
  }
  return (total / (performance.now() - started)) * 1000;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

type Filter = { since: Date; until: Date; host?: string };

async function timeOnce(audit: AuditLog, filter: Filter): Promise<{ ms: number; entries: number }> {
  const start = performance.now();
  const s = await audit.summary(filter);
  return { ms: performance.now() - start, entries: s.totals.entries };
}

async function timeSummary(audit: AuditLog, filter: Filter) {
  const times: number[] = [];
  let entries = 0;
  for (let r = 0; r < WARMUP + RUNS; r++) {
    const t = await timeOnce(audit, filter);
    entries = t.entries;
    if (r >= WARMUP) times.push(t.ms);
  }
  return { ms: median(times), entries };
}

/**
 * Alternating calls on the large log and on a 1k reference log in the same
 * server, so that both sides of the ratio see the same machine conditions.
 */
async function interleaved(large: AuditLog, small: AuditLog, filter: Filter) {
  const t = { large: [] as number[], small: [] as number[], ratio: [] as number[] };
  for (let r = 0; r < WARMUP + RUNS; r++) {
    const l = await timeOnce(large, filter);
    const s = await timeOnce(small, filter);
    if (r < WARMUP) continue;
    t.large.push(l.ms);
    t.small.push(s.ms);
    t.ratio.push(l.ms / s.ms);
  }
  return { large: median(t.large), small: median(t.small), ratio: median(t.ratio) };
}

const fmt = (ms: number) => `${ms.toFixed(3)} ms`;
const count = (n: number) => n.toLocaleString('en-US');

const server = await startRedis();
try {
  const client = server.client();
  const audit = new AuditLog(client);
  const reference = new AuditLog(client, { key: 'healgate:bench:audit-1k' });
  const until = new Date();
  const since = new Date(until.getTime() - WINDOW_MS);
  const fleet = { since, until };
  const oneHost = { since, until, host: 'host-07' };
  const redisVersion = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? '?';

  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores), node ${process.version}, redis ${redisVersion}`,
  );
  console.log(
    `${HOSTS.length} hosts, entries evenly over the 7-day window (${since.toISOString()} .. ${until.toISOString()}); ` +
      `median of ${RUNS} summary() calls after ${WARMUP} warm-up`,
  );

  await fill(audit, mulberry32(7), SMALL, since.getTime());
  const small = await timeSummary(audit, fleet);
  const smallHost = await timeSummary(audit, oneHost);
  console.log(
    `${count(SMALL).padStart(9)} entries: summary ${fmt(small.ms)} (counted ${count(small.entries)}), one host ${fmt(smallHost.ms)}`,
  );

  const rate = await fill(audit, mulberry32(8), LARGE - SMALL, since.getTime());
  const large = await timeSummary(audit, fleet);
  const largeHost = await timeSummary(audit, oneHost);
  const memory = /used_memory_human:(\S+)/.exec(await client.info('memory'))?.[1] ?? '?';
  console.log(
    `${count(LARGE).padStart(9)} entries: summary ${fmt(large.ms)} (counted ${count(large.entries)}), one host ${fmt(largeHost.ms)}` +
      `  [appended at ${count(Math.round(rate))}/s, pipelined; redis used ${memory}]`,
  );
  console.log(
    `ratio, one run after the other: fleet ${(large.ms / small.ms).toFixed(2)}x, one host ${(largeHost.ms / smallHost.ms).toFixed(2)}x`,
  );

  await fill(reference, mulberry32(7), SMALL, since.getTime());
  const f = await interleaved(audit, reference, fleet);
  const h = await interleaved(audit, reference, oneHost);
  console.log(
    `ratio, interleaved with a 1k log in the same server (median of per-round ratios): ` +
      `fleet ${f.ratio.toFixed(2)}x (${fmt(f.large)} vs ${fmt(f.small)}), one host ${h.ratio.toFixed(2)}x (${fmt(h.large)} vs ${fmt(h.small)}); goal <= 1.5x`,
  );

  // Not part of the goal: what `healgate audit verify` costs on this log.
  const verifyStart = performance.now();
  const verified = await audit.verify();
  const verifySeconds = (performance.now() - verifyStart) / 1000;
  console.log(
    `verify() over ${count(LARGE)} entries: ${verified.ok ? 'intact' : 'NOT intact'}, ${verifySeconds.toFixed(1)} s ` +
      `(${count(Math.round(LARGE / verifySeconds))} entries/s)`,
  );
} finally {
  await server.stop();
}
