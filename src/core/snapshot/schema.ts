import { z } from 'zod';

/** The five signals of the wire format, in the order the model sees them. */
export const SIGNALS = [
  'disk_usage',
  'memory_usage',
  'cpu_usage',
  'dns_latency_ms',
  'firewall_change_requested',
] as const;

export type Signal = (typeof SIGNALS)[number];

export const HOST_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** "is required" for a missing field, `expected` for a wrong type. */
export function typeError(expected: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : expected);
}

export const hostSchema = z
  .string({ error: typeError('expected a host name (string)') })
  .regex(HOST_PATTERN, { error: 'expected a host name matching ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' });

// zod 4 numbers already refuse NaN and ±Infinity; the messages say so anyway.
const percentage = z
  .number({ error: typeError('expected a finite number (percent, 0-100)') })
  .min(0, { error: 'must be >= 0 (percent)' })
  .max(100, { error: 'must be <= 100 (percent)' });

export const snapshotSchema = z.object(
  {
    host: hostSchema,
    ts: z.iso
      .datetime({ offset: true, error: 'expected an ISO-8601 timestamp such as 2026-11-25T10:00:00Z' })
      .optional(),
    disk_usage: percentage,
    memory_usage: percentage,
    cpu_usage: percentage,
    dns_latency_ms: z
      .number({ error: typeError('expected a finite number of milliseconds') })
      .min(0, { error: 'must be >= 0 (milliseconds)' }),
    firewall_change_requested: z.union([z.literal(0), z.literal(1)], { error: typeError('expected 0 or 1') }),
  },
  { error: 'expected a JSON object with the snapshot fields' },
);

/** A validated snapshot; unknown input fields have been dropped. */
export type Snapshot = z.infer<typeof snapshotSchema>;

/** The numeric part of a snapshot: all the model and the policy look at. */
export type Signals = Pick<Snapshot, Signal>;
