/** A caller passed an entry, date or filter the audit log cannot accept; nothing was written. */
export class AuditInputError extends Error {
  override readonly name = 'AuditInputError';
}

/** What Redis holds is not what healgate wrote there. */
export class AuditIntegrityError extends Error {
  override readonly name = 'AuditIntegrityError';
}
