import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuditLog, canonicalJson, GENESIS, type AuditRecord } from '../../src/audit/index.js';
import { parseSince, registerAudit } from '../../src/cli/commands/audit.js';
import { UsageError } from '../../src/cli/errors.js';
import { useRedis } from '../helpers/use-redis.js';
import { minutes, redisCli, story, T0 } from './fixtures.js';

const t = useRedis();

let dir: string;
let written: AuditRecord[];
let opened = 0;
let closed = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'healgate-audit-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await t.redis.flushdb();
  const audit = new AuditLog(t.redis);
  written = [];
  const entries = [...story('host-1', 1), ...story('host-2', 2)];
  for (const [i, entry] of entries.entries()) written.push(await audit.append(entry, minutes(i * 5)));
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

/** Runs `healgate audit …` in-process against the test Redis; returns what it printed. */
async function healgate(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const program = new Command('healgate').exitOverride();
  registerAudit(program, () => {
    opened += 1;
    const client = t.server.client();
    const close = async () => {
      await client.quit();
      closed += 1;
    };
    return Promise.resolve({ redis: client, close });
  });
  await program.parseAsync(['node', 'healgate', 'audit', ...args]);
  vi.restoreAllMocks();
  return { stdout: out.join('\n'), stderr: err.join('\n'), code: process.exitCode ?? 0 };
}

const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('healgate audit verify', () => {
  it('says the log is intact and exits 0', async () => {
    const run = await healgate('verify');
    expect(run).toEqual({ stdout: `audit log intact: 8 entries, head ${written[7]!.hash}`, stderr: '', code: 0 });
    expect(closed).toBe(opened);
  });

  it('names the tampered entry and exits 1', async () => {
    await redisCli(t.server, 'XDEL', 'healgate:audit', written[3]!.id);
    const run = await healgate('verify');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`audit log TAMPERED: removed at ${written[4]!.id} (after checking 4 entries)`);
    expect(run.stdout).toContain(`entries are missing between ${written[2]!.id} and ${written[4]!.id}`);

    const json = await healgate('verify', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, problem: 'removed', id: written[4]!.id });
  });
});

describe('healgate audit export', () => {
  it('writes the entries since a time to a file, oldest first, re-checkable without healgate', async () => {
    const file = join(dir, 'since.jsonl');
    const run = await healgate('export', '--since', minutes(10).toISOString(), '--out', file);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`exported 6 entries since 2026-11-25T10:10:00.000Z to ${file}`);
    const exported = lines(await readFile(file, 'utf8'));
    expect(exported.map((l) => l.id)).toEqual(written.slice(2).map((r) => r.id));
    expect(exported[0]).toEqual({ ...written[2] });
    // Anyone can re-check the chain from the file alone.
    let prev = written[1]!.hash;
    for (const { id, prev: p, hash, ...entry } of exported) {
      expect(id).toMatch(/^\d+-\d+$/);
      expect(p).toBe(prev);
      expect(hash).toBe(
        createHash('sha256')
          .update(`${prev}${canonicalJson(entry)}`)
          .digest('hex'),
      );
      prev = hash as string;
    }
    expect(closed).toBe(opened);
  });

  it('writes JSONL to stdout with a duration back from now', async () => {
    const chunks: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    });
    const run = await healgate('export', '--since', '3650d');
    const exported = lines(chunks.join(''));
    expect(exported).toHaveLength(8);
    expect(exported[0]).toMatchObject({ id: written[0]!.id, prev: GENESIS, type: 'decision' });
    expect(run.stderr).toMatch(/^exported 8 entries since /);
  });

  it('exports nothing when nothing is that recent', async () => {
    const file = join(dir, 'none.jsonl');
    const run = await healgate('export', '--since', '2027-01-01', '--out', file);
    expect(run.stderr).toContain('exported 0 entries since 2027-01-01T00:00:00.000Z');
    expect(await readFile(file, 'utf8')).toBe('');
  });

  it('refuses a --since it cannot read, and an --out it cannot write', async () => {
    await expect(healgate('export', '--since', 'yesterday')).rejects.toThrow(
      /--since: "yesterday" is neither an ISO-8601 time .* nor a duration such as 24h or 7d/,
    );
    await expect(healgate('export', '--since', '24h', '--out', join(dir, 'missing', 'x.jsonl'))).rejects.toThrow(
      UsageError,
    );
  });
});

describe('parseSince', () => {
  it('reads ISO times, dates and durations back from now', () => {
    expect(parseSince('2026-11-25T10:00:00Z', T0).toISOString()).toBe('2026-11-25T10:00:00.000Z');
    expect(parseSince('2026-11-25T12:00:00+02:00', T0).toISOString()).toBe('2026-11-25T10:00:00.000Z');
    expect(parseSince('2026-11-24', T0).toISOString()).toBe('2026-11-24T00:00:00.000Z');
    expect(parseSince('24h', T0).toISOString()).toBe('2026-11-24T10:00:00.000Z');
    expect(parseSince('7d', T0).toISOString()).toBe('2026-11-18T10:00:00.000Z');
    expect(() => parseSince('2026-13-01', T0)).toThrow(UsageError);
  });
});
