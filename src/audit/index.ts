export {
  AuditLog,
  DEFAULT_ENTRIES_LIMIT,
  MAX_ENTRIES_LIMIT,
  type EntriesFilter,
  type SummaryFilter,
} from './audit-log.js';
export { GENESIS, canonicalJson } from './chain.js';
export { AuditInputError, AuditIntegrityError } from './errors.js';
export { DEFAULT_AUDIT_KEY } from './keys.js';
export type { AuditCounters } from './rollup.js';
export {
  AUDIT_TYPES,
  auditEntryInputSchema,
  auditEntrySchema,
  auditTypeSchema,
  type AuditEntry,
  type AuditEntryInput,
  type AuditRecord,
  type AuditType,
} from './schema.js';
export type { AuditSummary } from './summary.js';
export type { TamperProblem, VerifyResult } from './verify.js';
