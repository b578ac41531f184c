import { z } from 'zod';
import type { PolicyDocument } from '../core/policy/schema.js';
import { HOST_PATTERN, snapshotSchema, type Snapshot } from '../core/snapshot/schema.js';

/** Alertmanager's webhook payload, version 4 (only what healgate reads). */
export const alertmanagerPayloadSchema = z.object({
  version: z.literal('4'),
  status: z.enum(['firing', 'resolved']),
  alerts: z
    .array(
      z.object({
        status: z.enum(['firing', 'resolved']),
        labels: z.record(z.string(), z.string()),
        annotations: z.record(z.string(), z.string()).default({}),
        startsAt: z.string(),
        endsAt: z.string().optional(),
        fingerprint: z.string().regex(/^[0-9a-zA-Z]{1,64}$/),
      }),
    )
    .max(1000),
});

export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;
export type Alert = AlertmanagerPayload['alerts'][number];

export interface MappedAlert {
  readonly alert: Alert;
  readonly host: string;
  readonly signal: keyof PolicyDocument['signals'];
  /** The signal's value while firing; resolved alerts map to 0 (quiet). */
  readonly value: number;
}

export type Mapping = { ok: true; mapped: MappedAlert } | { ok: false; reason: string };

const QUIET: Omit<Snapshot, 'host'> = {
  disk_usage: 0,
  memory_usage: 0,
  cpu_usage: 0,
  dns_latency_ms: 0,
  firewall_change_requested: 0,
};

/** Host and signal of one alert by the policy's table; alerts the table does not name are ignored. */
export function mapAlert(alert: Alert, table: PolicyDocument['alertmanager']): Mapping {
  const name = alert.labels.alertname ?? '';
  const rule = Object.hasOwn(table.alerts, name) ? table.alerts[name] : undefined;
  if (!rule)
    return { ok: false, reason: `alert ${name || '(no alertname)'} is not in the policy's alertmanager table` };
  const host = (alert.labels[table.host_label] ?? '').replace(/:\d+$/, '');
  if (!HOST_PATTERN.test(host)) return { ok: false, reason: `label ${table.host_label}="${host}" is not a host name` };
  const annotated = rule.value_annotation
    ? Number.parseFloat(alert.annotations[rule.value_annotation] ?? '')
    : Number.NaN;
  const firing = Number.isFinite(annotated) && annotated >= 0 ? annotated : rule.value;
  const max = rule.signal === 'dns_latency_ms' ? Infinity : rule.signal === 'firewall_change_requested' ? 1 : 100;
  return {
    ok: true,
    mapped: { alert, host, signal: rule.signal, value: alert.status === 'firing' ? Math.min(firing, max) : 0 },
  };
}

/** The host's latest snapshot (or a quiet one) with the alert's signal applied. */
export function snapshotFor(mapped: MappedAlert, latest: Snapshot | undefined): Snapshot {
  const base = { ...(latest ?? { host: mapped.host, ...QUIET }), [mapped.signal]: mapped.value };
  const ts = mapped.alert.status === 'firing' ? mapped.alert.startsAt : (mapped.alert.endsAt ?? mapped.alert.startsAt);
  // Alertmanager's timestamps are not always ISO-8601 as the wire format wants; then the snapshot goes without one.
  const stamped = snapshotSchema.safeParse({ ...base, ts });
  return stamped.success ? stamped.data : snapshotSchema.parse({ ...base, ts: undefined });
}
