import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionQueues, type ActionJob } from '../../src/actions/queues.js';
import { JobSigner, privateKeyFromSeed, signerFor, type SignedActionJob } from '../../src/actions/signing.js';
import { loadConfig } from '../../src/config/env.js';
import { ReportWriter } from '../../src/reports/writer.js';
import { files, firstSnapshot, markerJob, sandbox, spawnAgent, type Sandbox } from '../helpers/agent.js';
import { eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { runCli } from '../helpers/cli.js';
import { startDns, type TestDns } from '../helpers/dns.js';
import { resultOf } from '../helpers/events.js';
import type { RunningProcess } from '../helpers/process.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let server: TestRedis;
let redis: Redis;
let dns: TestDns;
let box: Sandbox;
let bot: TestBot;
let agent: RunningProcess;
let signed: ActionQueues;
const raw = new Map<string, Queue>();
let signingKey: Buffer;

beforeAll(async () => {
  const generated = await runCli(['signing-key']);
  expect(generated.code).toBe(0);
  const env: Record<string, string> = {};
  // base64 may end in '=': the value is the rest of the line.
  for (const line of generated.stdout.trim().split('\n'))
    env[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
  signingKey = Buffer.from(env.ACTION_SIGNING_KEY!, 'base64');
  [server, dns] = await Promise.all([startRedis(), startDns()]);
  redis = server.client();
  box = await sandbox(dns.port);
  bot = await startTestBot(server, {
    POLICY_FILE: box.policyFile,
    EXECUTION_MODE: 'live',
    ACTION_SIGNING_KEY: env.ACTION_SIGNING_KEY!,
  });
  const started = Date.now();
  agent = await spawnAgent(server, 'sig-1', box.policyFile, { ACTION_VERIFY_KEY: env.ACTION_VERIFY_KEY! });
  await firstSnapshot(redis, 'sig-1', started, agent);
  signed = new ActionQueues(server.client(), redis, new JobSigner(privateKeyFromSeed(signingKey)));
});

afterAll(async () => {
  await agent?.stop('SIGKILL');
  await signed?.close();
  await Promise.all([...raw.values()].map((q) => q.close()));
  await bot?.close();
  await dns?.close();
  await server?.stop();
});

let seq = 0;
function job(dir: string, host = 'sig-1'): ActionJob {
  return { ...markerJob(host, `sig-${++seq}.slow_marker`, dir), approval_id: `apr-sig-${seq}` };
}

/** Writes straight to the host's queue, as anyone with access to it could. */
async function plant(data: unknown, id: string, host = 'sig-1'): Promise<void> {
  let q = raw.get(host);
  if (!q) raw.set(host, (q = new Queue(`healgate-actions-${host}`, { connection: server.client() })));
  await q.add('run', data, { jobId: id });
}

type AuditPage = { entries: { type: string; notes: string; action?: string; data: { job_id: string } }[] };
const refusals = async () =>
  ((await bot.request('/v1/audit?window=1h&host=sig-1&type=action.refused')).body as AuditPage).entries;

describe('signed action jobs', () => {
  it('runs a job the bot signed for this host', async () => {
    const dir = join(box.runs, 'signed');
    await mkdir(dir);
    const j = job(dir);
    await signed.enqueue(j);
    expect(await eventually(() => resultOf(redis, j.key), 20_000)).toMatchObject({ outcome: 'success' });
    expect(await files(dir)).toHaveLength(1);
  });

  it('refuses, reports and audits forged, altered, foreign and expired jobs, and runs none of them', async () => {
    const dir = join(box.runs, 'forged');
    await mkdir(dir);
    const bot = new JobSigner(privateKeyFromSeed(signingKey));
    const now = new Date();
    const unsigned = job(dir);
    const otherKey = signerFor({ actionSigningKey: randomBytes(32) }).signer.sign(job(dir), now);
    const development = signerFor({}).signer.sign(job(dir), now);
    const altered: SignedActionJob = { ...bot.sign(job(dir), now), actions: [{ id: 'disk_cleanup', params: {} }] };
    const foreign = bot.sign(job(dir, 'sig-2'), now);
    const expired = bot.sign(job(dir), new Date(now.getTime() - 25 * 3_600_000));
    const cases: [string, unknown, RegExp][] = [
      [unsigned.key, unsigned, /^Not run: it is not a signed action job \(expires_at: /],
      [otherKey.key, otherKey, /^Not run: its signature is not the bot's/],
      [development.key, development, /^Not run: its signature is not the bot's/],
      [altered.key, altered, /^Not run: its signature is not the bot's/],
      [foreign.key, foreign, /^Not run: it is for sig-2, not sig-1\.$/],
      [expired.key, expired, /^Not run: it expired at /],
    ];
    for (const [id, data] of cases) await plant(data, id);

    const audited = await eventually(async () => {
      const entries = await refusals();
      return entries.length >= cases.length ? entries : undefined;
    }, 20_000);
    for (const [id, , notes] of cases) {
      const entry = audited.find((e) => e.data.job_id === id);
      expect(entry?.notes, id).toMatch(notes);
    }
    expect(audited.find((e) => e.data.job_id === altered.key)?.action).toBe('disk_cleanup');
    expect(audited).toHaveLength(cases.length);
    expect(await files(dir)).toEqual([]);
    for (const [id] of cases) expect(await resultOf(redis, id)).toBeUndefined();
    // A refused job claims nothing: the bot's real job of that key still runs.
    await signed.enqueue({ ...unsigned, key: `${unsigned.key}.real` });
    expect(await eventually(() => resultOf(redis, `${unsigned.key}.real`), 20_000)).toMatchObject({
      outcome: 'success',
    });
    expect(await files(dir)).toHaveLength(1);
  });

  it('takes no result for a job the bot did not sign', async () => {
    // An agent (or anyone with its credentials) reporting a result the bot never asked for.
    const forged = signerFor({ actionSigningKey: randomBytes(32) }).signer.sign(job('/nowhere'), new Date());
    await new ReportWriter(await server.agentClient('sig-1'), 'sig-1').action({
      job: forged,
      run: {
        job_id: forged.key,
        host: 'sig-1',
        trigger: 'approval',
        approval_id: forged.approval_id,
        incident_ids: [],
        outcome: 'success',
        dry_run: false,
        actions: [{ id: 'slow_marker', outcome: 'success', steps: [] }],
        reading: null,
        detail: 'slow_marker ran successfully.',
      },
      duration_ms: 1,
    });
    const entry = await eventually(async () => (await refusals()).find((e) => e.data.job_id === forged.key), 20_000);
    expect(entry.notes).toMatch(/^Not run: result refused: its job was not issued by the bot: its signature/);
    expect(await resultOf(redis, forged.key)).toBeUndefined();
  });

  it('takes its keys from the environment, validated, never echoed', () => {
    const bad = loadConfig({ ACTION_SIGNING_KEY: 'not-a-key', ACTION_VERIFY_KEY: Buffer.alloc(16).toString('base64') });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.errors).toEqual([
      'ACTION_SIGNING_KEY: expected 32 bytes in base64, as `healgate signing-key` prints them, got "(value not shown)"',
      'ACTION_VERIFY_KEY: expected 32 bytes in base64, as `healgate signing-key` prints them, got "(value not shown)"',
    ]);
  });
});
