import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_TYPES, AuditLog, type AuditEntryInput, type AuditType } from '../../src/audit/index.js';
import { mulberry32 } from '../../model/training/prng.js';
import { useRedis } from '../helpers/use-redis.js';

const t = useRedis();

const at = (iso: string) => new Date(`2026-11-${iso}Z`);

/** Three days of a small fleet, with every figure the summary reports. */
const WRITTEN: Array<[AuditEntryInput, Date]> = [
  [{ type: 'decision', host: 'host-1', decision: 'AUTO_HEAL' }, at('24T23:30:00')],
  [{ type: 'action.result', host: 'host-1', trigger: 'auto_heal', outcome: 'success' }, at('24T23:40:00')],
  [{ type: 'decision', host: 'host-1', decision: 'HITL_REQUIRED' }, at('25T10:00:00')],
  [{ type: 'approval.requested', host: 'host-1', approval_id: 'a1' }, at('25T10:01:00')],
  [
    { type: 'approval.approved', host: 'host-1', approval_id: 'a1', actor: 'slack:U1', duration_ms: 240_000 },
    at('25T10:05:00'),
  ],
  [{ type: 'action.result', host: 'host-1', trigger: 'approval', outcome: 'success' }, at('25T10:06:00')],
  [{ type: 'decision', host: 'host-2', decision: 'AUTO_HEAL' }, at('25T11:00:00')],
  [{ type: 'action.result', host: 'host-2', trigger: 'auto_heal', outcome: 'failure' }, at('25T11:02:00')],
  [{ type: 'action.result', host: 'host-2', trigger: 'auto_heal', outcome: 'unknown' }, at('25T11:03:00')],
  [{ type: 'action.result', host: 'host-2', trigger: 'auto_heal', outcome: 'dry-run' }, at('25T11:04:00')],
  [{ type: 'approval.requested', host: 'host-2', approval_id: 'a2' }, at('25T12:00:00')],
  [{ type: 'approval.expired', host: 'host-2', approval_id: 'a2', duration_ms: 1_800_000 }, at('25T12:30:00')],
  [{ type: 'approval.requested', host: 'host-3', approval_id: 'a3' }, at('25T13:00:00')],
  [{ type: 'approval.refused', host: 'host-3', approval_id: 'a3', actor: 'slack:U666' }, at('25T13:05:00')],
  [
    { type: 'approval.rejected', host: 'host-3', approval_id: 'a3', actor: 'discord:42', duration_ms: 600_000 },
    at('25T13:10:00'),
  ],
  [{ type: 'breaker.tripped', notes: 'fleet-wide: 5 hosts auto-healing' }, at('25T14:00:00')],
  [{ type: 'decision', host: 'host-1', decision: 'NO_ACTION' }, at('25T15:00:00')],
  [{ type: 'decision', host: 'host-3', decision: 'AUTO_HEAL' }, at('26T00:15:00')],
  [{ type: 'action.result', host: 'host-3', trigger: 'auto_heal', outcome: 'success' }, at('26T00:20:00')],
];

describe('summary from the rollups', () => {
  let audit: AuditLog;

  beforeAll(async () => {
    await t.redis.flushdb();
    audit = new AuditLog(t.redis);
    for (const [entry, when] of WRITTEN) await audit.append(entry, when);
  });

  it('adds up a window that spans partial and whole days', async () => {
    const s = await audit.summary({ since: at('24T23:00:00'), until: at('26T00:59:00') });
    expect(s.window).toEqual({ since: '2026-11-24T23:00:00.000Z', until: '2026-11-26T00:59:00.000Z' });
    expect(s.host).toBeNull();
    expect(s.totals.entries).toBe(19);
    expect(s.totals.by_type).toMatchObject({
      decision: 5,
      'action.result': 6,
      'breaker.tripped': 1,
      'alert.received': 0,
    });
    expect(s.decisions).toEqual({ NO_ACTION: 1, AUTO_HEAL: 3, HITL_REQUIRED: 1 });
    expect(s.approvals).toEqual({ requested: 3, approved: 1, rejected: 1, expired: 1, refused: 1 });
    expect(s.mean_time_to_decide_ms).toBe((240_000 + 1_800_000 + 600_000) / 3);
    // The approval-triggered result is not an auto-heal; the dry run says nothing about healing.
    expect(s.auto_heal).toEqual({ success: 2, failure: 1, unknown: 1, other: 1, success_rate: 0.5 });

    expect(Object.keys(s.per_host)).toEqual(['host-1', 'host-2', 'host-3']);
    expect(s.per_host['host-1']!.totals.entries).toBe(7);
    expect(s.per_host['host-1']!.mean_time_to_decide_ms).toBe(240_000);
    expect(s.per_host['host-1']!.auto_heal).toEqual({ success: 1, failure: 0, unknown: 0, other: 0, success_rate: 1 });
    expect(s.per_host['host-2']!.auto_heal).toEqual({ success: 0, failure: 1, unknown: 1, other: 1, success_rate: 0 });
    expect(s.per_host['host-2']!.approvals).toMatchObject({ requested: 1, expired: 1 });
    expect(s.per_host['host-3']!.approvals).toMatchObject({ requested: 1, rejected: 1, refused: 1 });

    expect(s.per_day.map((d) => [d.day, d.totals.entries])).toEqual([
      ['2026-11-24', 2],
      ['2026-11-25', 15],
      ['2026-11-26', 2],
    ]);
    expect(s.per_day[1]!.decisions).toEqual({ NO_ACTION: 1, AUTO_HEAL: 1, HITL_REQUIRED: 1 });
    expect(s.per_day[2]!.auto_heal.success_rate).toBe(1);
  });

  it('counts exactly the window asked for, and says so', async () => {
    const s = await audit.summary({ since: at('25T10:30:00'), until: at('25T12:10:00') });
    expect(s.window).toEqual({ since: '2026-11-25T10:30:00.000Z', until: '2026-11-25T12:10:00.000Z' });
    // 11:00-11:04 and 12:00.
    expect(s.totals.entries).toBe(5);
    expect(s.per_day).toHaveLength(1);
  });

  it('counts "the last 1h" as one hour and "the last 24h" as 24: the ends come from the entries', async () => {
    const hour = await audit.summary({ since: at('25T10:04:00'), until: at('25T11:04:00') });
    expect(hour.window).toEqual({ since: '2026-11-25T10:04:00.000Z', until: '2026-11-25T11:04:00.000Z' });
    // 10:05 and 10:06, then 11:00, 11:02, 11:03; not 10:00, 10:01 nor 11:04.
    expect(hour.totals.entries).toBe(5);
    expect(hour.approvals.approved).toBe(1);
    expect(hour.per_host['host-2']!.auto_heal).toMatchObject({ failure: 1, unknown: 1, other: 0 });
    const day = await audit.summary({ since: at('24T23:35:00'), until: at('25T23:35:00') });
    // 24T23:40 is in, 24T23:30 and 26T00:15 are not.
    expect(day.totals.entries).toBe(16);
    expect(day.per_day.map((d) => [d.day, d.totals.entries])).toEqual([
      ['2026-11-24', 1],
      ['2026-11-25', 15],
    ]);
    const narrow = await audit.summary({ since: at('25T11:01:00'), until: at('25T11:03:30'), host: 'host-2' });
    expect(narrow.auto_heal).toMatchObject({ failure: 1, unknown: 1 });
  });

  it('narrows to one host', async () => {
    const s = await audit.summary({ since: at('24T00:00:00'), until: at('26T23:00:00'), host: 'host-2' });
    expect(s.host).toBe('host-2');
    expect(s.totals.entries).toBe(6);
    expect(s.decisions.AUTO_HEAL).toBe(1);
    expect(s.mean_time_to_decide_ms).toBe(1_800_000);
    expect(Object.keys(s.per_host)).toEqual(['host-2']);
    expect(s.per_day.map((d) => d.totals.entries)).toEqual([0, 6, 0]);
  });

  it('reports an empty window as zeros, with no rates to divide by zero', async () => {
    const s = await audit.summary({ since: at('20T00:00:00'), until: at('20T05:00:00') });
    expect(s.totals.entries).toBe(0);
    expect(s.mean_time_to_decide_ms).toBeNull();
    expect(s.auto_heal.success_rate).toBeNull();
    expect(s.per_host).toEqual({});
    expect(s.per_day).toEqual([expect.objectContaining({ day: '2026-11-20' })]);
  });

  it('refuses backwards or over-long windows', async () => {
    await expect(audit.summary({ since: at('26T00:00:00'), until: at('25T00:00:00') })).rejects.toThrow(
      /since must not be after until/,
    );
    await expect(audit.summary({ since: new Date('2024-01-01T00:00:00Z'), until: at('25T00:00:00') })).rejects.toThrow(
      /longer than 400 days/,
    );
  });

  it('keeps each rollup bucket 400 days after its hour or day', async () => {
    const hourEnd = Date.parse('2026-11-25T10:00:00Z') + 400 * 86_400_000;
    const dayEnd = Date.parse('2026-11-25T00:00:00Z') + 400 * 86_400_000;
    expect(await t.redis.pexpiretime('healgate:audit:rollup:2026-11-25T10')).toBe(hourEnd);
    expect(await t.redis.pexpiretime('healgate:audit:rollup:2026-11-25T10:hosts')).toBe(hourEnd);
    expect(await t.redis.pexpiretime('healgate:audit:rollup:2026-11-25')).toBe(dayEnd);
    expect(await t.redis.pexpiretime('healgate:audit:rollup:2026-11-25:hosts')).toBe(dayEnd);
  });

  it('keeps an entry older than the retention in the log but not in the rollups', async () => {
    const old = new Date(Date.now() - 401 * 86_400_000);
    const record = await audit.append({ type: 'decision', host: 'host-1', notes: 'backfilled' }, old);
    expect((await audit.entries({ until: old, limit: 1 }))[0]).toEqual(record);
    expect(await t.redis.keys(`healgate:audit:rollup:${old.toISOString().slice(0, 10)}*`)).toEqual([]);
    expect(await audit.verify()).toMatchObject({ ok: true, entries: WRITTEN.length + 1 });
  });
});

describe('summary agrees with the entries themselves', () => {
  it('for random windows over ten days of random entries', async () => {
    await t.redis.flushdb();
    const audit = new AuditLog(t.redis);
    const rng = mulberry32(20261125);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)]!;
    const start = Date.parse('2026-11-20T00:00:00Z');
    const span = 10 * 86_400_000;
    const times = Array.from({ length: 600 }, () => start + Math.floor(rng() * span)).sort((a, b) => a - b);
    const written = times.map((t) => {
      const host = pick(['host-a', 'host-b', 'host-c', undefined]);
      const entry: AuditEntryInput = {
        type: pick(AUDIT_TYPES),
        ...(host ? { host } : {}),
        duration_ms: Math.floor(rng() * 100_000),
      };
      return { entry, at: new Date(t) };
    });
    await audit.appendMany(written);

    // Random windows, and windows that stop an hour short of a day or start an hour into one.
    const hour = 3_600_000;
    const day = 24 * hour;
    const windows = Array.from({ length: 300 }, () => {
      const a = start + Math.floor(rng() * span);
      const b = start + Math.floor(rng() * span);
      return [Math.min(a, b), Math.max(a, b)] as const;
    });
    for (let d = 0; d < 9; d++) {
      windows.push([start + d * day, start + (d + 2) * day - hour - 1]);
      windows.push([start + d * day + hour, start + (d + 2) * day - 1]);
      windows.push([start + d * day - 1, start + (d + 1) * day]);
    }
    for (const [a, b] of windows) {
      const [since, until] = [new Date(a), new Date(b)];
      const host = pick(['host-a', 'host-c', undefined]);
      const s = await audit.summary({ since, until, ...(host ? { host } : {}) });
      const lo = Date.parse(s.window.since);
      const hi = Date.parse(s.window.until);
      const inWindow = written.filter(
        (w) => w.at.getTime() >= lo && w.at.getTime() < hi && (host === undefined || w.entry.host === host),
      );
      const byType = Object.fromEntries(AUDIT_TYPES.map((t) => [t, 0])) as Record<AuditType, number>;
      for (const w of inWindow) byType[w.entry.type] += 1;
      expect(s.totals.by_type).toEqual(byType);

      const decided = inWindow.filter((w) =>
        ['approval.approved', 'approval.rejected', 'approval.expired'].includes(w.entry.type),
      );
      const mean = decided.length ? decided.reduce((n, w) => n + w.entry.duration_ms!, 0) / decided.length : null;
      expect(s.mean_time_to_decide_ms).toBe(mean);

      for (const h of ['host-a', 'host-b', 'host-c']) {
        const n = inWindow.filter((w) => w.entry.host === h).length;
        expect(s.per_host[h]?.totals.entries ?? 0).toBe(n);
      }
      for (const d of s.per_day) {
        const n = inWindow.filter((w) => w.at.toISOString().startsWith(d.day)).length;
        expect(d.totals.entries).toBe(n);
      }
    }
  });
});
