/** A failure the user can fix (bad file, bad option): printed as one line, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT_BAD_INPUT = 1;
export const EXIT_CANNOT_RUN = 2;
/** SIGTERM's grace period ran out before the drain finished. */
export const EXIT_CUT_OFF = 3;
