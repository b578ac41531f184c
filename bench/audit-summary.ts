/**
 * Audit summary cost against the size of the log: summary() over a 7-day
 * window after 1,000 entries and again after 1,000,000 entries spread over
 * the same window, hosts and types. The summary reads rollups, never the
 * stream, so the two figures should be close (goal: ratio <= 1.5x).
 * Run: node --import tsx bench/audit-summary.ts   (AUDIT_BENCH_ENTRIES to change the large size)
 * Starts its own redis-server; needs about 1 GB of memory and 2 minutes.
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

/** `count` entries at even steps across the window, oldest first, in pipelined batches. */
async function fill(audit: AuditLog, rng: Rng, count: number, windowStart: number): Promise<number> {
  const started = performance.now();
  for (let done = 0; done < count;) {
    const n = Math.min(BATCH, count - done);
    const items = Array.from({ length: n }, (_, i) => ({
      entry: entry(rng),
      at: new Date(windowStart + Math.floor(((done + i) / count) * WINDOW_MS)),
    }));
    await audit.appendMany(items);
    done += n;
    if (count >= 100_000 && done % 100_000 === 0) process.stderr.write(`  ${done.toLocaleString('en-US')} written\n`);
  }
  return (count / (performance.now() - started)) * 1000;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeSummary(audit: AuditLog, filter: { since: Date; until: Date; host?: string }) {
  const times: number[] = [];
  let entries = 0;
  for (let r = 0; r < WARMUP + RUNS; r++) {
    const start = performance.now();
    const s = await audit.summary(filter);
    const ms = performance.now() - start;
    entries = s.totals.entries;
    if (r >= WARMUP) times.push(ms);
  }
  return { ms: median(times), entries };
}

const redis = await startRedis();
try {
  const client = redis.client();
  const audit = new AuditLog(client);
  const until = new Date();
  const since = new Date(until.getTime() - WINDOW_MS);
  const rng = mulberry32(20261125);
  const fleet = { since, until };
  const oneHost = { since, until, host: 'host-07' };

  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores), node ${process.version}, ${(await client.info('server')).match(/redis_version:(\S+)/)?.[1] ? `redis ${(await client.info('server')).match(/redis_version:(\S+)/)![1]}` : ''}`,
  );
  console.log(
    `${HOSTS.length} hosts, entries spread evenly over the 7-day window; median of ${RUNS} summary() calls after ${WARMUP} warm-up`,
  );

  const smallRate = await fill(audit, rng, SMALL, since.getTime());
  const small = await timeSummary(audit, fleet);
  const smallHost = await timeSummary(audit, oneHost);
  console.log(
    `${SMALL.toLocaleString('en-US').padStart(9)} entries: summary ${small.ms.toFixed(3)} ms (counted ${small.entries}), one host ${smallHost.ms.toFixed(3)} ms; appended at ${Math.round(smallRate).toLocaleString('en-US')}/s`,
  );

  const largeRate = await fill(audit, rng, LARGE - SMALL, since.getTime());
  const large = await timeSummary(audit, fleet);
  const largeHost = await timeSummary(audit, oneHost);
  const memory = (await client.info('memory')).match(/used_memory_human:(\S+)/)?.[1];
  console.log(
    `${LARGE.toLocaleString('en-US').padStart(9)} entries: summary ${large.ms.toFixed(3)} ms (counted ${large.entries}), one host ${largeHost.ms.toFixed(3)} ms; appended at ${Math.round(largeRate).toLocaleString('en-US')}/s; redis used ${memory}`,
  );
  console.log(
    `ratio ${LARGE.toLocaleString('en-US')} / ${SMALL.toLocaleString('en-US')}: fleet ${(large.ms / small.ms).toFixed(2)}x, one host ${(largeHost.ms / smallHost.ms).toFixed(2)}x (goal <= 1.5x)`,
  );
} finally {
  await redis.stop();
}
