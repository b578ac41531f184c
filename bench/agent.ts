/**
 * The host agent's own overhead: a real `healgate agent` process polling
 * this machine every 15 s (systeminformation CPU, memory, disk; a DNS
 * lookup against a loopback resolver; snapshot pushed to Redis; heartbeat),
 * dry-run, idle action and diagnose queues. CPU from /proc/<pid>/stat over
 * the measured window (from a few seconds after start-up), RSS sampled every
 * second from /proc/<pid>/status. The agent runs as deployed: the compiled
 * build (built first by `npm run bench:agent`) in V8's lite mode, which the
 * launcher sets for `healgate agent`. Baseline, same run: a bare
 * `node` process that does nothing, for what Node itself costs.
 * Goal: <= 0.5% of one core, RSS <= 80 MB.
 * Run: npm run bench:agent   (BENCH_AGENT_SECONDS=150 by default; Linux only)
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { Queue } from 'bullmq';
import { keys, queues } from '../src/redis/keys.js';
import { sandbox } from '../test/helpers/agent.js';
import { startDns } from '../test/helpers/dns.js';
import { spawnHealgate } from '../test/helpers/process.js';
import { startRedis } from '../test/helpers/redis.js';

const SECONDS = Number(process.env.BENCH_AGENT_SECONDS ?? 150);
/** After the agent is ready (heartbeat written), let start-up work settle. */
const SETTLE_S = 5;
/** Linux's USER_HZ: /proc times are in 1/100 s on every architecture node runs on. */
const TICKS_PER_S = 100;

async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself hold spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

interface Usage {
  cpuPercent: number;
  rssMax: number;
  rssEnd: number;
}

async function measure(pid: number, seconds: number): Promise<Usage> {
  const cpu0 = await cpuSeconds(pid);
  const t0 = performance.now();
  let rssMax = 0;
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    rssMax = Math.max(rssMax, await rssMb(pid));
  }
  const cpu = (await cpuSeconds(pid)) - cpu0;
  const wall = (performance.now() - t0) / 1000;
  return { cpuPercent: (100 * cpu) / wall, rssMax, rssEnd: await rssMb(pid) };
}

const fmt = (u: Usage) =>
  `CPU ${u.cpuPercent.toFixed(3)}% of one core, RSS max ${u.rssMax.toFixed(1)} MB (end ${u.rssEnd.toFixed(1)} MB)`;

const [redis, dns] = await Promise.all([startRedis(), startDns()]);
const box = await sandbox(dns.port);
const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
const HOST = 'bench-agent';
const agent = spawnHealgate(['agent'], {
  REDIS_URL: redis.url,
  HOST_ID: HOST,
  POLICY_FILE: box.policyFile,
  POLL_INTERVAL: '15s',
  EXECUTION_MODE: 'dry-run',
  LOG_LEVEL: 'warn',
});
try {
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(
    `bench:agent: ${SECONDS}s at POLL_INTERVAL=15s from ${SETTLE_S}s after it is ready; ${cpus().length}× ${cpus()[0]?.model ?? '?'}, node ${process.version}, load average ${load()}`,
  );
  const admin = redis.client();
  while (!(await admin.exists(keys.agent(HOST)))) await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const ingest = new Queue(queues.ingest, { connection: admin });
  const before = await ingest.count();
  const [agentUsage, idleUsage] = await Promise.all([measure(agent.child.pid!, SECONDS), measure(idle.pid!, SECONDS)]);
  const polls = (await ingest.count()) - before;
  await ingest.close();
  const goal = (u: Usage) => (u.cpuPercent <= 0.5 && u.rssMax <= 80 ? 'goal met' : 'goal NOT met');
  console.log(`  healgate agent:        ${fmt(agentUsage)}: ${goal(agentUsage)}`);
  console.log(`  bare node (baseline):  ${fmt(idleUsage)}`);
  console.log(
    `  agent / bare node RSS: ${(agentUsage.rssMax / idleUsage.rssMax).toFixed(2)}x; ${polls} snapshots pushed; goal <= 0.5% CPU, <= 80 MB RSS; load average now ${load()}`,
  );
} finally {
  await agent.stop();
  idle.kill();
  await dns.close();
  await redis.stop();
}
