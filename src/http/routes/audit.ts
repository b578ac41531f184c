import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { auditTypeSchema, type AuditLog } from '../../audit/index.js';
import { parseDuration } from '../../core/policy/duration.js';
import { hostSchema } from '../../core/snapshot/schema.js';
import { formatIssues } from '../../core/snapshot/validate.js';
import type { HttpDeps } from '../deps.js';

/** `?window=24h&host=&type=&limit=`, for /v1/audit and the console's audit view. */
export const auditQuerySchema = z.strictObject({
  window: z
    .string()
    .default('24h')
    .refine((w) => (parseDuration(w) ?? 0) > 0, { error: 'expected a window such as 1h, 24h or 7d' }),
  host: hostSchema.optional(),
  type: auditTypeSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** The summary (from the rollups) and the newest entries of a window. */
export async function readAudit(audit: AuditLog, until: Date, query: z.output<typeof auditQuerySchema>) {
  const { window, host, type, limit } = query;
  const since = new Date(until.getTime() - parseDuration(window)!);
  const scope = { since, until, ...(host ? { host } : {}) };
  const [summary, entries] = await Promise.all([
    audit.summary(scope),
    audit.entries({ ...scope, ...(type ? { type } : {}), limit }),
  ]);
  return { window, summary, entries };
}

export function auditRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/v1/audit', async (request, reply) => {
    const parsed = auditQuerySchema.safeParse(request.query);
    if (!parsed.success) return reply.code(400).send({ error: formatIssues(parsed.error) });
    return readAudit(deps.audit, deps.now(), parsed.data);
  });
}
