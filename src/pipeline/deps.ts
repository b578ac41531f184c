import type { Redis } from 'ioredis';
import type { Decision } from '../core/decide/types.js';
import type { SeverityClassifier } from '../core/model/classifier.js';
import type { Policy } from '../core/policy/policy.js';
import type { ActionQueues } from '../actions/queues.js';
import type { ApprovalService } from '../approvals/service.js';
import type { AuditLog } from '../audit/index.js';
import type { EventLog } from '../events/log.js';
import type { Logger } from '../log.js';
import type { PickupDeadlines } from './pickup.js';

/** What every stage of the decision pipeline works with. */
export interface PipelineDeps {
  readonly redis: Redis;
  readonly classifier: SeverityClassifier;
  readonly policy: Policy;
  readonly approvals: ApprovalService;
  readonly actions: ActionQueues;
  readonly pickup: PickupDeadlines;
  readonly audit: AuditLog;
  readonly events: EventLog;
  readonly executionMode: 'dry-run' | 'live';
  readonly logger: Logger;
  readonly now: () => Date;
  readonly onDecision?: (decision: Decision) => void;
}
