import type { Decision } from '../core/decide/types.js';
import type { ApprovalRecord } from '../approvals/record.js';

/**
 * What happened, for the chat adapters (and the console) to show. Events
 * are written to one Redis stream; each replica's notifier takes its share
 * through a consumer group, so every event reaches chat once.
 */
export type HealgateEvent =
  | {
      type: 'incident.opened';
      host: string;
      incident_ids: string[];
      decision: Decision;
      actions: string[];
      dry_run: boolean;
    }
  | { type: 'incident.resolved'; host: string; incident_id: string; signal: string; value: number }
  | { type: 'approval.requested'; approval: ApprovalRecord }
  | { type: 'approval.decided'; approval: ApprovalRecord }
  | { type: 'action.result'; host: string; job_id: string; outcome: string; detail: string }
  | { type: 'breaker.tripped'; host: string; scope: 'host' | 'fleet'; reason: string };

