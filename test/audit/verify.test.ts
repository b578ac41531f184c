import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, canonicalJson, type AuditRecord } from '../../src/audit/index.js';
import { useRedis } from '../helpers/use-redis.js';
import { minutes, redisCli, story } from './fixtures.js';

const t = useRedis();

let audit: AuditLog;
let written: AuditRecord[];

const STREAM = 'healgate:audit';
const cli = (...args: string[]) => redisCli(t.server, ...args);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

beforeEach(async () => {
  await t.redis.flushdb();
  audit = new AuditLog(t.redis);
  written = [];
  const entries = [...story('host-1', 1), ...story('host-2', 2), ...story('host-3', 3)].slice(0, 10);
  for (const [i, entry] of entries.entries()) written.push(await audit.append(entry, minutes(i)));
});

/** Stored fields of one entry, as `XRANGE` shows them. */
async function fieldsOf(id: string): Promise<Record<string, string>> {
  const [entry] = await t.redis.xrange(STREAM, id, id);
  const flat = entry![1];
  return Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i]!, flat[2 * i + 1]!]));
}

/**
 * What someone with redis-cli has to do to change history in a stream:
 * read it, DEL it, and XADD every entry back under its old id.
 */
async function rewrite(edit: (entries: Array<{ id: string; fields: Record<string, string> }>) => void): Promise<void> {
  const entries = await Promise.all(
    (await t.redis.xrange(STREAM, '-', '+')).map(async ([id]) => ({ id, fields: await fieldsOf(id) })),
  );
  edit(entries);
  await cli('DEL', STREAM);
  for (const { id, fields } of entries) await cli('XADD', STREAM, id, ...Object.entries(fields).flat());
}

/** A meaningful change to one stored entry: a different approver, action or outcome. */
function edited(e: string): string {
  const changed = e
    .replace('"actor":"slack:U123"', '"actor":"slack:U999"')
    .replace('"action":"dns_config_change"', '"action":"firewall_port_change"');
  expect(changed).not.toBe(e);
  return changed;
}

describe('audit verify', () => {
  it('passes an untouched log and names its head', async () => {
    expect(await audit.verify()).toEqual({ ok: true, entries: 10, head: written[9]!.hash });
  });

  it('passes an empty log', async () => {
    await t.redis.flushdb();
    expect(await audit.verify()).toEqual({ ok: true, entries: 0, head: null });
  });

  it('names an entry deleted from the middle (XDEL)', async () => {
    await cli('XDEL', STREAM, written[4]!.id);
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: false, problem: 'removed', id: written[5]!.id, entries_checked: 5 });
    expect(!result.ok && result.detail).toContain(
      `entries are missing between ${written[3]!.id} and ${written[5]!.id}`,
    );
  });

  it('names the oldest entry left after a trim (XTRIM)', async () => {
    await cli('XTRIM', STREAM, 'MAXLEN', '6');
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: false, problem: 'removed', id: written[4]!.id, entries_checked: 1 });
    expect(!result.ok && result.detail).toContain('entries are missing before');
  });

  it('notices the newest entries deleted (XDEL of the tail)', async () => {
    await cli('XDEL', STREAM, written[8]!.id, written[9]!.id);
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: false, problem: 'removed', id: written[7]!.id, entries_checked: 8 });
    expect(!result.ok && result.detail).toContain(`entries after ${written[7]!.id}`);
  });

  it('notices the whole stream deleted while the head remains', async () => {
    await cli('DEL', STREAM);
    expect(await audit.verify()).toMatchObject({ ok: false, problem: 'removed', id: null, entries_checked: 0 });
  });

  it('notices a deleted head key', async () => {
    await cli('DEL', `${STREAM}:head`);
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: false, problem: 'removed', id: written[9]!.id });
    expect(!result.ok && result.detail).toContain('healgate:audit:head is missing');
  });

  it('names the newest entry changed in place (XDEL, XSETID, XADD under the same id)', async () => {
    const last = written[9]!;
    const fields = await fieldsOf(last.id);
    await cli('XDEL', STREAM, last.id);
    await cli('XSETID', STREAM, written[8]!.id);
    await cli('XADD', STREAM, last.id, 'e', edited(fields.e!), 'prev', fields.prev!, 'hash', fields.hash!);
    expect(await t.redis.xlen(STREAM)).toBe(10);
    expect(await audit.verify()).toMatchObject({ ok: false, problem: 'changed', id: last.id, entries_checked: 10 });
  });

  it('names an entry changed in the middle of a rewritten stream', async () => {
    const target = written[2]!; // the approval, approved by slack:U123
    await rewrite((entries) => {
      const entry = entries.find((x) => x.id === target.id)!;
      entry.fields.e = edited(entry.fields.e!);
    });
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: false, problem: 'changed', id: target.id, entries_checked: 3 });
    expect(!result.ok && result.detail).toContain('content no longer matches its hash');
  });

  it('points at the gap when the changed entry was re-hashed too', async () => {
    const target = written[3]!;
    await rewrite((entries) => {
      const entry = entries.find((x) => x.id === target.id)!;
      entry.fields.e = edited(entry.fields.e!);
      entry.fields.hash = sha256(entry.fields.prev! + canonicalJson(JSON.parse(entry.fields.e)));
    });
    const result = await audit.verify();
    // The next entry still chains to the original: indistinguishable from an entry removed after the target.
    expect(result).toMatchObject({ ok: false, problem: 'removed', id: written[4]!.id });
    expect(!result.ok && result.detail).toContain(`or ${target.id} was rewritten with a recomputed hash`);
  });

  it('names a forged entry appended with XADD, even one with a correct hash', async () => {
    const head = written[9]!.hash;
    const e = canonicalJson({
      type: 'approval.approved',
      host: 'host-9',
      approval_id: 'forged',
      ts: minutes(30).toISOString(),
    });
    const forged = await cli('XADD', STREAM, '*', 'e', e, 'prev', head, 'hash', sha256(head + e));
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: false, problem: 'inserted', id: forged, entries_checked: 11 });
    expect(!result.ok && result.detail).toContain(`the head is still ${written[9]!.id}`);
  });

  it('names a forged entry appended with a made-up hash', async () => {
    const e = canonicalJson({ type: 'approval.approved', host: 'host-9', ts: minutes(30).toISOString() });
    const forged = await cli('XADD', STREAM, '*', 'e', e, 'prev', written[9]!.hash, 'hash', 'f'.repeat(64));
    expect(await audit.verify()).toMatchObject({ ok: false, problem: 'inserted', id: forged });
  });

  it('names a forged entry slipped into the middle of a rewritten stream', async () => {
    const after = written[5]!;
    const forgedId = `${after.id.split('-')[0]}-1`;
    const e = canonicalJson({
      type: 'approval.approved',
      host: 'host-2',
      approval_id: 'apr-host-2-2',
      actor: 'slack:U666',
      ts: after.ts,
    });
    await rewrite((entries) => {
      const at = entries.findIndex((x) => x.id === after.id);
      entries.splice(at + 1, 0, { id: forgedId, fields: { e, prev: after.hash, hash: sha256(after.hash + e) } });
    });
    expect(await audit.verify()).toMatchObject({ ok: false, problem: 'inserted', id: forgedId, entries_checked: 8 });
  });

  it('names a forged entry whose prev chains to nothing', async () => {
    const after = written[5]!;
    const forgedId = `${after.id.split('-')[0]}-1`;
    const e = canonicalJson({ type: 'decision', host: 'host-2', ts: after.ts });
    const prev = 'a'.repeat(64);
    await rewrite((entries) => {
      const at = entries.findIndex((x) => x.id === after.id);
      entries.splice(at + 1, 0, { id: forgedId, fields: { e, prev, hash: sha256(prev + e) } });
    });
    expect(await audit.verify()).toMatchObject({ ok: false, problem: 'inserted', id: forgedId, entries_checked: 7 });
  });

  it('names entries appended behind the head even far into a long log', async () => {
    const more = Array.from({ length: 1200 }, (_, i) => ({
      entry: { type: 'alert.received' as const, host: 'host-1' },
      at: minutes(20 + i),
    }));
    const records = await audit.appendMany(more);
    const head = records.at(-1)!.hash;
    const e = canonicalJson({ type: 'incident.resolved', host: 'host-1', ts: minutes(2000).toISOString() });
    const forged = await cli('XADD', STREAM, '*', 'e', e, 'prev', head, 'hash', sha256(head + e));
    expect(await audit.verify()).toMatchObject({ ok: false, problem: 'inserted', id: forged, entries_checked: 1211 });
  });

  it('reads the stream in pages: a problem past the first thousand entries is found', async () => {
    const more = Array.from({ length: 1500 }, (_, i) => ({
      entry: { type: 'alert.received' as const, host: 'host-1', notes: `#${i}` },
      at: minutes(20 + i),
    }));
    const records = await audit.appendMany(more);
    expect(await audit.verify()).toMatchObject({ ok: true, entries: 1510 });
    await cli('XDEL', STREAM, records[1200]!.id);
    expect(await audit.verify()).toMatchObject({
      ok: false,
      problem: 'removed',
      id: records[1201]!.id,
      entries_checked: 1211,
    });
  });
});
