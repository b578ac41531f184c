/**
 * Test-only crash points: with HEALGATE_TEST_CRASH_AT=<name>, the process
 * kills itself (SIGKILL, as an OOM kill or a power cut would) when it reaches
 * that named step, so that a test can restart it and check that what the
 * step began is finished, once. Unset (always, outside those tests) it does
 * nothing.
 */
export type CrashPoint =
  'approval.created' | 'approval.decided' | 'incident.opened' | 'heal.enqueued' | 'report.published' | 'audit.recorded';

export function crashPoint(name: CrashPoint): void {
  if (process.env.HEALGATE_TEST_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}
