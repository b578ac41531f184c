import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { AuditLog } from '../audit/index.js';
import { conditionHolds } from '../core/policy/conditions.js';
import type { Policy } from '../core/policy/policy.js';
import { claimOf, type MappedAlert, type Mapping } from '../core/signals/alerts.js';
import type { Logger } from '../log.js';
import { keys } from '../redis/keys.js';
import { LuaScript } from '../redis/lua.js';
import { FIREWALL_SIGNAL } from './firewall.js';
import type { TriggerEntry } from './signals.js';

/**
 * Bounds that keep an alert's audit entry (its labels) inside the audit's
 * limits, so that an alert too large to record is refused at the edge with
 * its reason instead of failing after it was half taken.
 */
const MAX_LABELS = 64;
const MAX_LABEL_NAME = 128;
const MAX_LABEL_VALUE = 512;
const MAX_ANNOTATION_VALUE = 8192;

const labelsSchema = (max: number) =>
  z
    .record(
      z.string().max(MAX_LABEL_NAME, { error: `label names are at most ${MAX_LABEL_NAME} characters` }),
      z.string().max(max, { error: `must be at most ${max} characters` }),
    )
    .refine((labels) => Object.keys(labels).length <= MAX_LABELS, { error: `at most ${MAX_LABELS} entries` });

/** Alertmanager's webhook payload, version 4 (only what healgate reads). */
export const alertmanagerPayloadSchema = z.object({
  version: z.literal('4'),
  status: z.enum(['firing', 'resolved']),
  alerts: z
    .array(
      z.object({
        status: z.enum(['firing', 'resolved']),
        labels: labelsSchema(MAX_LABEL_VALUE),
        annotations: labelsSchema(MAX_ANNOTATION_VALUE).default({}),
        startsAt: z.string().max(64),
        endsAt: z.string().max(64).optional(),
        fingerprint: z.string().regex(/^[0-9a-zA-Z]{1,64}$/),
      }),
    )
    .max(1000),
});

export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;

/** How long a reservation holds while a notification is being taken; a crash frees it by then. */
const RESERVE_SECONDS = 60;
/** How long an accepted notification is remembered, so that resends and HA twins are taken once. */
const SEEN_SECONDS = 7 * 86_400;
/** An ignored or misread alert's (reason, alertname) is told at most once in this long. */
const NOTE_SECONDS = 3600;

const seenKey = (m: MappedAlert) => keys.alertSeen(m.alert.fingerprint, m.alert.status, m.alert.startsAt);

/**
 * Reserves each alert's notification: true for those this request takes,
 * false for resends and HA twins already taken or being taken.
 */
export async function reserveAlerts(redis: Redis, mapped: readonly MappedAlert[]): Promise<boolean[]> {
  if (mapped.length === 0) return [];
  const reply = (await (
    await LuaScript.load('alerts-reserve')
  ).run(redis, mapped.map(seenKey), [RESERVE_SECONDS])) as number[];
  return mapped.map((_, i) => reply[i] === 1);
}

/** Frees reservations of a notification that was not accepted, so that Alertmanager's retry is taken. */
export async function releaseAlerts(redis: Redis, mapped: readonly MappedAlert[]): Promise<void> {
  if (mapped.length > 0) await redis.del(...mapped.map(seenKey));
}

/**
 * Applies accepted alerts in their order (firing ones claim their signal,
 * resolved ones let go) and marks them seen, in one step; returns one
 * trigger per host, so that alerts for one host in one notification are
 * decided together.
 */
export async function applyAlerts(redis: Redis, mapped: readonly MappedAlert[]): Promise<TriggerEntry[]> {
  const args: (string | number)[] = [mapped.length, SEEN_SECONDS];
  for (const m of mapped) {
    const starts = Date.parse(m.alert.startsAt);
    args.push(
      m.alert.fingerprint,
      Number.isFinite(starts) ? starts : 0,
      m.alert.status === 'firing' ? JSON.stringify(claimOf(m)) : '',
    );
  }
  await (
    await LuaScript.load('alerts-apply')
  ).run(redis, [...mapped.map((m) => keys.hostAlerts(m.host)), ...mapped.map(seenKey)], args);
  return [...new Set(mapped.map((m) => m.host))].map((host) => ({ host, trigger: 'alert' as const }));
}

type Ignored = Extract<Mapping, { ok: false }>;

interface NoteDeps {
  readonly redis: Redis;
  readonly audit: AuditLog;
  readonly logger: Pick<Logger, 'warn'>;
}

/** True the first time in an hour, across replicas, that (reason, alertname) is to be told. */
async function firstInAWhile(redis: Redis, reason: string, alertname: string): Promise<boolean> {
  return (await redis.set(keys.alertNoted(reason, alertname), '1', 'EX', NOTE_SECONDS, 'NX')) === 'OK';
}

/**
 * An ignored alert is logged and audited once per (reason, alertname) an
 * hour across replicas, not at every resend: a wrong host_label or a
 * missing table entry shows up without flooding either.
 */
export async function noteIgnored(
  deps: NoteDeps,
  ignored: Ignored,
  labels: Readonly<Record<string, string>>,
  at: Date,
): Promise<void> {
  if (!(await firstInAWhile(deps.redis, ignored.reason, ignored.alertname))) return;
  deps.logger.warn(
    { alertname: ignored.alertname, reason: ignored.reason, labels },
    `alert ignored: ${ignored.message}`,
  );
  await deps.audit.append(
    {
      type: 'alert.ignored',
      outcome: ignored.reason,
      notes: ignored.message,
      data: { alertname: ignored.alertname, labels: { ...labels } },
    },
    at,
  );
}

/**
 * A firing alert whose value does not pass its signal's threshold opens
 * nothing: most often a percent free read as used. Said once an hour.
 */
export async function noteBelowThreshold(deps: NoteDeps, mapped: MappedAlert, policy: Policy): Promise<void> {
  const condition = policy.signals[mapped.signal];
  if (mapped.alert.status !== 'firing' || conditionHolds(condition, mapped.value)) return;
  if (!(await firstInAWhile(deps.redis, 'below_threshold', mapped.alertname))) return;
  const rule = policy.alertmanager.alerts[mapped.alertname];
  const couldBeFree =
    rule?.value_is === 'used' && mapped.signal !== 'dns_latency_ms' && mapped.signal !== FIREWALL_SIGNAL;
  deps.logger.warn(
    { alertname: mapped.alertname, host: mapped.host, signal: mapped.signal, value: mapped.value },
    `alert ${mapped.alertname} fires with ${mapped.signal} ${mapped.value}, which does not pass the policy's ` +
      `threshold (${condition.op} ${condition.threshold}): it opens nothing` +
      (couldBeFree
        ? '; if its value is percent free (as the stock node_exporter rules compute), set value_is: free'
        : ''),
  );
}
