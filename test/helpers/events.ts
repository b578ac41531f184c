import { EventLog } from '../../src/events/log.js';
import type { Redis } from 'ioredis';
import type { ActionResultEvent, HealgateEvent } from '../../src/events/types.js';
import { keys } from '../../src/redis/keys.js';

/** Every event published so far, oldest first. */
export async function allEvents(redis: Redis): Promise<HealgateEvent[]> {
  const entries = await redis.xrange(keys.events, '-', '+');
  return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('event') + 1]!) as HealgateEvent);
}

export async function actionResults(redis: Redis, jobId: string): Promise<ActionResultEvent[]> {
  return (await allEvents(redis)).filter(
    (e): e is ActionResultEvent => e.type === 'action.result' && e.job_id === jobId,
  );
}

/** Polls for the first action.result of a job (for `eventually`). */
export async function resultOf(redis: Redis, jobId: string): Promise<ActionResultEvent | undefined> {
  return (await actionResults(redis, jobId))[0];
}

/**
 * What an agent in dry-run reports for an approved firewall change: the
 * chat tests run no agent, so they publish its result themselves.
 */
export async function publishFirewallDryRun(redis: Redis, host: string, approvalId: string): Promise<void> {
  await new EventLog(redis).publish({
    type: 'action.result',
    host,
    job_id: approvalId,
    trigger: 'approval',
    approval_id: approvalId,
    incident_ids: [],
    outcome: 'dry_run',
    dry_run: true,
    actions: [
      {
        id: 'firewall_port_change',
        outcome: 'dry_run',
        steps: [{ argv: ['ufw', 'allow', '8443/tcp'], exit_code: null, timed_out: false, duration_ms: 0, output: '' }],
      },
    ],
    verify: null,
    detail: 'dry-run: nothing was changed',
    duration_ms: 0,
  });
}

/** What an agent in dry-run reports for an auto-heal of disk_cleanup on an incident (the chat tests run no agent). */
export async function publishDiskCleanupDryRun(
  redis: Redis,
  host: string,
  incidentId: string,
  jobId: string,
): Promise<void> {
  await new EventLog(redis).publish({
    type: 'action.result',
    host,
    job_id: jobId,
    trigger: 'auto_heal',
    approval_id: null,
    incident_ids: [incidentId],
    outcome: 'dry_run',
    dry_run: true,
    actions: [{ id: 'disk_cleanup', outcome: 'dry_run', steps: [] }],
    verify: null,
    detail: 'dry-run: nothing was changed',
    duration_ms: 0,
  });
}
