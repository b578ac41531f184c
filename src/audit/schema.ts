import { z } from 'zod';
import { CLASSES } from '../core/classes.js';
import { hostSchema } from '../core/snapshot/schema.js';
import { jsonObjectSchema } from './json.js';

export const AUDIT_TYPES = [
  'decision',
  'incident.opened',
  'incident.resolved',
  'approval.requested',
  'approval.approved',
  'approval.rejected',
  'approval.expired',
  'approval.refused',
  'action.enqueued',
  'action.result',
  'breaker.tripped',
  'firewall.requested',
  'alert.received',
  'action.withdrawn',
  'alert.ignored',
  'action.refused',
] as const;

export const auditTypeSchema = z.enum(AUDIT_TYPES, { error: `expected one of ${AUDIT_TYPES.join(', ')}` });
export type AuditType = z.infer<typeof auditTypeSchema>;

export const TRIGGERS = ['auto_heal', 'approval'] as const;

/** The longest `notes` an entry takes. */
export const AUDIT_NOTES_MAX = 4000;

/** Keeps rollup sums far inside exact integer range whatever a caller passes. */
const MAX_DURATION_MS = 365 * 86_400_000;

const text = (max: number) =>
  z
    .string({ error: 'expected a string' })
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

/**
 * What a caller writes. Strict, so that a misspelt field is an error rather
 * than a fact silently missing from the audit.
 */
export const auditEntryInputSchema = z.strictObject({
  type: auditTypeSchema,
  host: hostSchema.optional(),
  actor: text(200).optional(),
  platform: text(64).optional(),
  notes: text(AUDIT_NOTES_MAX).optional(),
  decision: z.enum(CLASSES, { error: `expected one of ${CLASSES.join(', ')}` }).optional(),
  model: text(200).optional(),
  policy: text(200).optional(),
  approval_id: text(200).optional(),
  incident_id: text(200).optional(),
  action: text(200).optional(),
  outcome: text(64).optional(),
  trigger: z.enum(TRIGGERS, { error: `expected one of ${TRIGGERS.join(', ')}` }).optional(),
  duration_ms: z
    .number({ error: 'expected a finite number of milliseconds' })
    .min(0, { error: 'must be >= 0 (milliseconds)' })
    .max(MAX_DURATION_MS, { error: 'must be at most a year (in milliseconds)' })
    .optional(),
  data: jsonObjectSchema.optional(),
});

export type AuditEntryInput = z.input<typeof auditEntryInputSchema>;

/** An entry as hashed and stored: the validated input plus its time. */
export const auditEntrySchema = auditEntryInputSchema.extend({
  ts: z.iso.datetime({ error: 'expected an ISO-8601 UTC timestamp' }),
});
export type AuditEntry = z.output<typeof auditEntrySchema>;

export type AuditRecord = AuditEntry & {
  /** Redis stream id. */
  id: string;
  /** Hash of the previous entry; 64 zeros for the first one. */
  prev: string;
  /** sha256 hex of prev + the canonical JSON of this entry (id excluded). */
  hash: string;
};
