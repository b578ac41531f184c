import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { SeverityClassifier } from '../core/model/classifier.js';
import type { Policy } from '../core/policy/policy.js';
import type { AuditLog } from '../audit/index.js';
import type { Metrics } from '../metrics.js';
import type { Ingest } from '../pipeline/ingest.js';
import type { RedisClock } from '../redis/clock.js';

export interface HttpDeps {
  readonly redis: Redis;
  /** Redis's clock, on which writes' deadlines are written. */
  readonly clock: RedisClock;
  readonly ingest: Ingest;
  readonly audit: AuditLog;
  readonly policy: Policy;
  readonly classifier: SeverityClassifier;
  readonly metrics: Metrics;
  /** Reads the Redis-derived gauges within a deadline before a scrape. */
  readonly refreshGauges: () => Promise<void>;
  /** Fastify's view of the pino logger, so that routes take a plain FastifyInstance. */
  readonly logger: FastifyBaseLogger;
  readonly ingestToken: string | undefined;
  /** Workers this replica runs, for /readyz. */
  readonly workersRunning: () => boolean;
  readonly now: () => Date;
  /** Chat adapters' routes (Slack events, the console), each in its own encapsulated context. */
  readonly plugins: readonly FastifyPluginAsync[];
}
