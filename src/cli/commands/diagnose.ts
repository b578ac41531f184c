import type { Command } from 'commander';
import { AgentProbe } from '../../diagnose/agent-probe.js';
import { DIAGNOSE_TIMEOUT_MS, DiagnoseService } from '../../diagnose/service.js';
import { sibling, type RedisConnection } from '../../redis/connect.js';
import { EXIT_CANNOT_RUN } from '../errors.js';
import { loadModelAndPolicy } from '../options.js';

/** Exit status for a host healgate has never heard of. */
const EXIT_UNKNOWN_HOST = 1;

export function registerDiagnose(program: Command, connect: () => Promise<RedisConnection>): void {
  program
    .command('diagnose')
    .summary(
      "a host's diagnosis as JSON: fresh snapshot from its agent (or the last one), model, decision, incidents, trend",
    )
    .argument('<host>', 'the host, as its agent names it (HOST_ID)')
    .description(
      `Asks the host's agent for a fresh snapshot (at most ${DIAGNOSE_TIMEOUT_MS / 1000}s; at once from the last snapshot when the agent is silent). Exit 1 for a host that never reported.`,
    )
    .action(async (host: string) => {
      const { policy, classifier } = await loadModelAndPolicy({});
      const connection = await connect();
      const bull = sibling(connection.redis);
      const now = () => new Date();
      const probe = new AgentProbe(connection.redis, bull, policy.agent.heartbeat_multiple, now);
      try {
        const outcome = await new DiagnoseService({
          redis: connection.redis,
          classifier,
          policy,
          now,
          probe,
          timeoutMs: DIAGNOSE_TIMEOUT_MS,
        }).diagnose(host);
        if (outcome.ok) {
          process.stdout.write(`${JSON.stringify(outcome.diagnosis)}\n`);
        } else {
          console.error(`healgate: ${outcome.message}`);
          process.exitCode = outcome.reason === 'unknown_host' ? EXIT_UNKNOWN_HOST : EXIT_CANNOT_RUN;
        }
      } finally {
        await probe.close();
        await bull.quit();
        await connection.close();
      }
    });
}
