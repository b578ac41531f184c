import { SIGNALS, type Signal, type Signals } from '../snapshot/schema.js';

/**
 * Where a host's signals come from, and how they combine.
 *
 * A reading (from the host's agent, or pushed to `POST /v1/metrics`) says
 * what the host measures; the latest one stands for all five signals. A
 * firing Alertmanager alert claims one signal until it resolves or its
 * `endsAt` passes: while any claim holds, the signal takes the alert's value
 * (the highest of several), and the reading is only shown beside it. So an
 * incident an alert opened stays open, whatever the readings say, until the
 * alert lets go; then the latest reading decides again. A pending firewall
 * change request sets firewall_change_requested, whatever anything else says.
 */

export const READING_SOURCES = ['agent', 'push'] as const;
export type ReadingSource = (typeof READING_SOURCES)[number];

export interface Reading {
  readonly source: ReadingSource;
  readonly values: Signals;
  /** When it arrived (ms). */
  readonly at: number;
}

/** A firing alert's hold on one signal, as stored per (host, fingerprint). */
export interface AlertClaim {
  readonly fingerprint: string;
  readonly alertname: string;
  readonly signal: Signal;
  readonly value: number;
  readonly starts_at: string;
  /** When Alertmanager said it ends, if it said (its webhook sends a zero time while firing). */
  readonly ends_at: string | null;
}

/** Where a signal's value came from; JSON the API, /diagnose and the console show. */
export type SignalSource =
  | { readonly kind: ReadingSource; readonly at: string }
  | { readonly kind: 'alert'; readonly alertname: string; readonly fingerprint: string; readonly since: string }
  | { readonly kind: 'firewall'; readonly requests: number }
  | { readonly kind: 'none' };

export interface SignalView {
  readonly value: number;
  readonly source: SignalSource;
  /** The latest reading's own value, when another source decides the signal. */
  readonly reading: { readonly source: ReadingSource; readonly value: number } | null;
}

export type SignalViews = Record<Signal, SignalView>;

export interface MergeInput {
  /** The host's latest reading; none for a host only Alertmanager speaks for. */
  readonly reading: Reading | undefined;
  readonly claims: readonly AlertClaim[];
  /** Firewall change requests waiting for their approval. */
  readonly firewallRequests: number;
  readonly now: number;
}

export interface Merged {
  readonly values: Signals;
  readonly views: SignalViews;
}

/** A claim holds until its alert resolves, or until an `endsAt` Alertmanager gave has passed. */
export function claimHolds(claim: AlertClaim, now: number): boolean {
  return claim.ends_at === null || Date.parse(claim.ends_at) > now;
}

/** The values to decide on, and for each signal where it came from. */
export function mergeSignals(input: MergeInput): Merged {
  const { reading, now } = input;
  const holding = input.claims.filter((c) => claimHolds(c, now));
  const values = {} as Record<Signal, number>;
  const views = {} as Record<Signal, SignalView>;
  for (const signal of SIGNALS) {
    const own = reading ? reading.values[signal] : 0;
    const beside = reading ? { source: reading.source, value: own } : null;
    const strongest = strongestClaim(holding.filter((c) => c.signal === signal));
    let view: SignalView;
    if (signal === 'firewall_change_requested' && input.firewallRequests > 0)
      view = { value: 1, source: { kind: 'firewall', requests: input.firewallRequests }, reading: beside };
    else if (strongest)
      view = {
        value: signal === 'firewall_change_requested' ? (strongest.value > 0 ? 1 : 0) : strongest.value,
        source: {
          kind: 'alert',
          alertname: strongest.alertname,
          fingerprint: strongest.fingerprint,
          since: strongest.starts_at,
        },
        reading: beside,
      };
    else
      view = {
        value: own,
        source: reading ? { kind: reading.source, at: new Date(reading.at).toISOString() } : { kind: 'none' },
        reading: null,
      };
    values[signal] = view.value;
    views[signal] = view;
  }
  return { values: values as Signals, views };
}

/** The highest value wins; of equal ones the oldest alert, so that the source shown does not flap. */
function strongestClaim(claims: readonly AlertClaim[]): AlertClaim | undefined {
  let best: AlertClaim | undefined;
  for (const c of claims)
    if (!best || c.value > best.value || (c.value === best.value && c.starts_at < best.starts_at)) best = c;
  return best;
}
