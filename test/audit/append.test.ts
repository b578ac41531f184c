import { beforeEach, describe, expect, it } from 'vitest';
import {
  AuditInputError,
  AuditIntegrityError,
  AuditLog,
  GENESIS,
  canonicalJson,
  type AuditRecord,
} from '../../src/audit/index.js';
import { useRedis } from '../helpers/use-redis.js';
import { T0, minutes, redisCli } from './fixtures.js';
import { createHash } from 'node:crypto';

const t = useRedis();

beforeEach(async () => {
  await t.redis.flushdb();
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('append', () => {
  it('returns the stored record: input, stream id, time, and a hash over prev + canonical content', async () => {
    const audit = new AuditLog(t.redis);
    const first = await audit.append(
      {
        type: 'decision',
        host: 'host-1',
        decision: 'AUTO_HEAL',
        model: 'severity-2026-11-25.1',
        data: { z: 1, a: [2, { y: 3, b: 4 }] },
      },
      T0,
    );
    expect(first).toMatchObject({
      type: 'decision',
      host: 'host-1',
      decision: 'AUTO_HEAL',
      ts: '2026-11-25T10:00:00.000Z',
      prev: GENESIS,
    });
    expect(first.id).toMatch(/^1795600800000-\d+$/);
    const content = {
      type: 'decision',
      host: 'host-1',
      decision: 'AUTO_HEAL',
      model: 'severity-2026-11-25.1',
      data: { z: 1, a: [2, { y: 3, b: 4 }] },
      ts: first.ts,
    };
    expect(canonicalJson(content)).toBe(
      '{"data":{"a":[2,{"b":4,"y":3}],"z":1},"decision":"AUTO_HEAL","host":"host-1","model":"severity-2026-11-25.1","ts":"2026-11-25T10:00:00.000Z","type":"decision"}',
    );
    expect(first.hash).toBe(sha256(GENESIS + canonicalJson(content)));

    const second = await audit.append({ type: 'incident.opened', host: 'host-1', incident_id: 'inc-1' }, minutes(1));
    expect(second.prev).toBe(first.hash);
    expect(await t.redis.get('healgate:audit:head')).toBe(second.hash);
    expect(await t.redis.xlen('healgate:audit')).toBe(2);
  });

  it('drops undefined fields, as optional fields of callers often are', async () => {
    const audit = new AuditLog(t.redis);
    const record = await audit.append(
      { type: 'alert.received', host: 'host-2', data: { ts: undefined, status: 'firing' } },
      T0,
    );
    const [stored] = await audit.entries();
    expect(stored).toEqual(record);
    expect(stored!.data).toEqual({ status: 'firing' });
  });

  it('refuses invalid input with a message naming the field, and writes nothing', async () => {
    const audit = new AuditLog(t.redis);
    await audit.append({ type: 'decision', host: 'host-1', decision: 'NO_ACTION' }, T0);
    const before = await t.redis.dump('healgate:audit');
    const keys = (await t.redis.keys('*')).sort();
    const head = await t.redis.get('healgate:audit:head');
    const bad: Array<[unknown, Date, RegExp]> = [
      [{ type: 'decison' }, T0, /type: expected one of decision, incident\.opened/],
      [{ type: 'decision', host: 'bad host; rm -rf /' }, T0, /host: expected a host name/],
      [{ type: 'decision', decision: 'MAYBE' }, T0, /decision: expected one of NO_ACTION, AUTO_HEAL, HITL_REQUIRED/],
      [{ type: 'approval.approved', duration_ms: -5 }, T0, /duration_ms: must be >= 0/],
      [{ type: 'approval.approved', duration_ms: Number.NaN }, T0, /duration_ms: expected a finite number/],
      [{ type: 'action.result', trigger: 'cron' }, T0, /trigger: expected one of auto_heal, approval/],
      [{ type: 'decision', hots: 'host-1' }, T0, /hots: unknown key/],
      [{ type: 'decision', data: { p: Number.POSITIVE_INFINITY } }, T0, /data\.p: expected a JSON value/],
      [{ type: 'decision', data: [1, 2] }, T0, /data: expected a plain JSON object/],
      [{ type: 'decision', notes: 'x'.repeat(5000) }, T0, /notes: must be at most 4000 characters/],
      [{ type: 'decision', data: { blob: 'x'.repeat(70_000) } }, T0, /larger than 65536 bytes/],
      [{ type: 'decision' }, new Date('nonsense'), /at: expected a valid date/],
    ];
    for (const [input, at, message] of bad) {
      // @ts-expect-error -- what a caller outside TypeScript (or a bug) might pass
      await expect(audit.append(input, at)).rejects.toThrow(message);
    }
    await expect(audit.append({ type: 'decision' }, new Date('x'))).rejects.toBeInstanceOf(AuditInputError);
    expect(await t.redis.dump('healgate:audit')).toEqual(before);
    expect((await t.redis.keys('*')).sort()).toEqual(keys);
    expect(await t.redis.get('healgate:audit:head')).toBe(head);
  });

  it('appendMany writes nothing when any item is invalid', async () => {
    const audit = new AuditLog(t.redis);
    await expect(
      audit.appendMany([
        { entry: { type: 'decision', host: 'host-1' }, at: T0 },
        // @ts-expect-error -- an invalid type in the middle of a batch
        { entry: { type: 'decision.made' }, at: T0 },
      ]),
    ).rejects.toThrow(/item 1: audit entry rejected: type/);
    expect(await t.redis.exists('healgate:audit')).toBe(0);
  });

  it('keeps the chain and the time order when an entry arrives with an earlier time than the newest', async () => {
    const audit = new AuditLog(t.redis);
    await audit.append({ type: 'decision', host: 'host-1' }, minutes(10));
    const late = await audit.append({ type: 'decision', host: 'host-2' }, minutes(5));
    expect(late.ts).toBe(minutes(5).toISOString());
    expect(late.id.startsWith(String(minutes(10).getTime()))).toBe(true);
    // Found by its own time even though its stream id is later.
    const found = await audit.entries({ since: minutes(4), until: minutes(6) });
    expect(found.map((r) => r.host)).toEqual(['host-2']);
    expect(await audit.verify()).toMatchObject({ ok: true, entries: 2 });
  });

  it('refuses to start a new chain when the head key is gone but entries remain', async () => {
    const audit = new AuditLog(t.redis);
    await audit.append({ type: 'decision', host: 'host-1' }, T0);
    await redisCli(t.server, 'DEL', 'healgate:audit:head');
    const fresh = new AuditLog(t.redis);
    await expect(fresh.append({ type: 'decision', host: 'host-1' }, minutes(1))).rejects.toThrow(AuditIntegrityError);
    await expect(audit.append({ type: 'decision', host: 'host-1' }, minutes(1))).rejects.toThrow(
      /healgate:audit:head is missing while healgate:audit holds 1 entries/,
    );
    expect(await t.redis.xlen('healgate:audit')).toBe(1);
  });

  it('survives a redis restart that forgets the cached script', async () => {
    const audit = new AuditLog(t.redis);
    await audit.append({ type: 'decision', host: 'host-1' }, T0);
    await t.redis.script('FLUSH');
    await audit.append({ type: 'decision', host: 'host-1' }, minutes(1));
    await t.redis.script('FLUSH');
    await audit.appendMany([{ entry: { type: 'decision', host: 'host-1' }, at: minutes(2) }]);
    expect(await audit.verify()).toMatchObject({ ok: true, entries: 3 });
  });
});

describe('entries', () => {
  let written: AuditRecord[];

  beforeEach(async () => {
    const audit = new AuditLog(t.redis);
    written = [];
    const types = ['decision', 'approval.requested', 'action.result'] as const;
    for (let i = 0; i < 150; i++) {
      written.push(await audit.append({ type: types[i % 3]!, host: `host-${i % 5}`, notes: `n${i}` }, minutes(i)));
    }
  });

  it('lists newest first, 100 by default', async () => {
    const all = await new AuditLog(t.redis).entries();
    expect(all).toHaveLength(100);
    expect(all[0]).toEqual(written[149]);
    expect(all.map((r) => r.notes)).toEqual(
      written
        .slice(50)
        .reverse()
        .map((r) => r.notes),
    );
  });

  it('filters by time (inclusive), host, type, and limit', async () => {
    const audit = new AuditLog(t.redis);
    const window = await audit.entries({ since: minutes(10), until: minutes(19) });
    expect(window.map((r) => r.notes)).toEqual(['n19', 'n18', 'n17', 'n16', 'n15', 'n14', 'n13', 'n12', 'n11', 'n10']);

    const host = await audit.entries({ host: 'host-3', limit: 1000 });
    expect(host).toHaveLength(30);
    expect(host.every((r) => r.host === 'host-3')).toBe(true);

    const typed = await audit.entries({ type: 'approval.requested', since: minutes(100), limit: 5 });
    expect(typed.map((r) => r.notes)).toEqual(['n148', 'n145', 'n142', 'n139', 'n136']);

    const both = await audit.entries({ host: 'host-0', type: 'decision' });
    expect(both.map((r) => r.notes)).toEqual(
      written
        .filter((_, i) => i % 15 === 0)
        .reverse()
        .map((r) => r.notes),
    );

    expect(await audit.entries({ until: new Date(T0.getTime() - 1) })).toEqual([]);
    expect(await audit.entries({ host: 'host-99' })).toEqual([]);
  });

  it('reads at most 1000 and rejects a bad filter', async () => {
    const audit = new AuditLog(t.redis);
    expect(await audit.entries({ limit: 5000 })).toHaveLength(150);
    await expect(audit.entries({ limit: 0 })).rejects.toThrow(/limit: must be >= 1/);
    await expect(audit.entries({ since: new Date('nope') })).rejects.toThrow(/since: expected a valid Date/);
    // @ts-expect-error -- not an audit type
    await expect(audit.entries({ type: 'decisions' })).rejects.toThrow(/type: expected one of/);
  });
});

describe('concurrent appenders', () => {
  it('20 appenders on 4 connections make one unbroken chain', async () => {
    const connections = Array.from({ length: 4 }, () => t.server.client());
    const appenders = Array.from({ length: 20 }, (_, i) => new AuditLog(connections[i % 4]!));
    const perAppender = 25;
    await t.redis.config('RESETSTAT');
    const results = await Promise.all(
      appenders.map(async (audit, a) => {
        const mine: AuditRecord[] = [];
        for (let i = 0; i < perAppender; i++) {
          // Half single appends, half small batches: both paths race each other.
          if (a % 2 === 0) {
            mine.push(await audit.append({ type: 'decision', host: `host-${a}`, notes: `${a}/${i}` }, minutes(i)));
          } else if (i % 5 === 0) {
            const batch = Array.from({ length: 5 }, (_, k) => ({
              entry: { type: 'decision' as const, host: `host-${a}`, notes: `${a}/${i + k}` },
              at: minutes(i + k),
            }));
            mine.push(...(await audit.appendMany(batch)));
          }
        }
        return mine;
      }),
    );
    const records = results.flat();
    expect(records).toHaveLength(20 * perAppender);
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    expect(new Set(records.map((r) => r.prev)).size).toBe(records.length);

    // The race was real: some appends lost it and were re-hashed onto the new head.
    const stats = await t.redis.info('commandstats');
    const scriptCalls = [...stats.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(scriptCalls).toBeGreaterThan(records.length);

    const result = await new AuditLog(t.redis).verify();
    expect(result).toEqual({ ok: true, entries: 500, head: await t.redis.get('healgate:audit:head') });
    // Each appender's own entries are in its order.
    const stored = (await new AuditLog(t.redis).entries({ host: 'host-7', limit: 1000 })).reverse();
    expect(stored.map((r) => r.notes)).toEqual(Array.from({ length: perAppender }, (_, i) => `7/${i}`));
    const summary = await new AuditLog(t.redis).summary({ since: T0, until: minutes(30) });
    expect(summary.totals.entries).toBe(500);
  });
});
