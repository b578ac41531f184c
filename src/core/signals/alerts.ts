import type { PolicyDocument } from '../policy/schema.js';
import { HOST_PATTERN, type Signal } from '../snapshot/schema.js';
import type { AlertClaim } from './merge.js';

/** One alert of an Alertmanager notification, as healgate reads it. */
export interface AlertInput {
  readonly status: 'firing' | 'resolved';
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt?: string | undefined;
  readonly fingerprint: string;
}

export interface MappedAlert {
  readonly alert: AlertInput;
  readonly alertname: string;
  readonly host: string;
  readonly signal: Signal;
  /** The signal's value while firing; resolved alerts map to 0 (quiet). */
  readonly value: number;
}

/** Why an alert was not taken: one of a few reasons, for the metric's label, and the words for humans. */
export type IgnoreReason = 'unknown_alertname' | 'no_host';

export type Mapping =
  | { readonly ok: true; readonly mapped: MappedAlert }
  | { readonly ok: false; readonly alertname: string; readonly reason: IgnoreReason; readonly message: string };

type Table = PolicyDocument['alertmanager'];

/**
 * The address in an `instance` label: `host:9100` → host, `[::1]:9100` →
 * ::1, `::1` → ::1 (a bare IPv6 address has no port to strip).
 */
export function instanceAddress(label: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(label);
  if (bracketed) return bracketed[1]!;
  if ((label.match(/:/g) ?? []).length > 1) return label;
  return label.replace(/:\d{1,5}$/, '');
}

/** The host an alert is about: the `hosts` table's name for its address, else the address if it is a host name. */
export function hostOfLabel(label: string, table: Table): string | undefined {
  const address = instanceAddress(label);
  const named = Object.hasOwn(table.hosts, address) ? table.hosts[address] : undefined;
  if (named) return named;
  return HOST_PATTERN.test(address) ? address : undefined;
}

/**
 * A number in an annotation: the whole text (`{{ $value }}`), or the
 * `VALUE = 7.5` line the stock node_exporter rules put in their description.
 */
export function annotatedValue(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const whole = text.trim();
  const match = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i.test(whole)
    ? whole
    : /\bVALUE\s*=\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)/i.exec(text)?.[1];
  const value = match === undefined ? Number.NaN : Number(match);
  return Number.isFinite(value) ? value : undefined;
}

function bounds(signal: Signal): number {
  return signal === 'dns_latency_ms' ? Infinity : signal === 'firewall_change_requested' ? 1 : 100;
}

/** Host, signal and value of one alert by the policy's table; alerts the table does not name are ignored. */
export function mapAlert(alert: AlertInput, table: Table): Mapping {
  const alertname = alert.labels.alertname ?? '';
  const rule = Object.hasOwn(table.alerts, alertname) ? table.alerts[alertname] : undefined;
  if (!rule)
    return {
      ok: false,
      alertname,
      reason: 'unknown_alertname',
      message: `alert ${alertname || '(no alertname)'} is not in the policy's alertmanager table`,
    };
  const label = alert.labels[table.host_label] ?? '';
  const host = hostOfLabel(label, table);
  if (!host)
    return {
      ok: false,
      alertname,
      reason: 'no_host',
      message: label
        ? `label ${table.host_label}="${label}" is not a host name (name its address under alertmanager.hosts)`
        : `alert ${alertname} has no ${table.host_label} label (the policy's alertmanager.host_label)`,
    };
  const annotated = rule.value_annotation ? annotatedValue(alert.annotations[rule.value_annotation]) : undefined;
  const raw = annotated !== undefined && annotated >= 0 ? annotated : undefined;
  const used = raw === undefined ? rule.value : rule.value_is === 'free' ? 100 - raw : raw;
  const value = alert.status === 'firing' ? Math.min(Math.max(used, 0), bounds(rule.signal)) : 0;
  return { ok: true, mapped: { alert, alertname, host, signal: rule.signal, value } };
}

/**
 * A time as one ISO form (`…T10:00:00.120Z`): Alertmanager writes Go's, which
 * drops a fraction's trailing zeros (`.12Z`) and may carry nanoseconds.
 */
function isoTime(t: string): string {
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : t;
}

/** What a firing alert claims, to be stored until it resolves. */
export function claimOf(mapped: MappedAlert): AlertClaim {
  const { alert } = mapped;
  const ends = alert.endsAt ? Date.parse(alert.endsAt) : Number.NaN;
  return {
    fingerprint: alert.fingerprint,
    alertname: mapped.alertname,
    signal: mapped.signal,
    value: mapped.value,
    starts_at: isoTime(alert.startsAt),
    // Alertmanager's webhook sends 0001-01-01 while an alert fires: no end said.
    ends_at: ends > Date.parse(alert.startsAt) ? isoTime(alert.endsAt!) : null,
  };
}
