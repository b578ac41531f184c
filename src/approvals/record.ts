import type { Decision } from '../core/decide/types.js';
import type { Principal } from '../core/policy/approvers.js';
import type { ParamValue } from '../core/policy/params.js';

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface ApprovalAction {
  readonly id: string;
  readonly risk: 'safe' | 'risky';
  readonly params: Readonly<Record<string, ParamValue>>;
}

/** Where a chat adapter posted the request, so any replica can update it. */
export type MessageRefs = Readonly<Record<string, unknown>>;

export interface ApprovalRecord {
  readonly id: string;
  readonly host: string;
  readonly status: ApprovalStatus;
  readonly actions: readonly ApprovalAction[];
  readonly reasons: readonly string[];
  readonly decision: Decision;
  readonly incident_ids: readonly string[];
  /** Who asked (firewall change requests); they may not approve it themselves. */
  readonly requester: Principal | null;
  readonly request: Readonly<Record<string, unknown>> | null;
  readonly created_at: string;
  readonly expires_at: string;
  readonly decided_by: Principal | null;
  readonly notes: string;
  readonly decided_at: string | null;
  readonly messages: MessageRefs;
}

/** The hash fields of a record: scalars as they are, structures as JSON. */
export function toHash(r: ApprovalRecord): Record<string, string> {
  return {
    id: r.id,
    host: r.host,
    status: r.status,
    actions: JSON.stringify(r.actions),
    reasons: JSON.stringify(r.reasons),
    decision: JSON.stringify(r.decision),
    incident_ids: JSON.stringify(r.incident_ids),
    requester: JSON.stringify(r.requester),
    request: JSON.stringify(r.request),
    created_at: r.created_at,
    expires_at: r.expires_at,
    expires_ms: String(Date.parse(r.expires_at)),
    decided_by: r.decided_by ? JSON.stringify(r.decided_by) : '',
    notes: r.notes,
    decided_at: r.decided_at ?? '',
    messages: JSON.stringify(r.messages),
  };
}

export function fromHash(h: Record<string, string>): ApprovalRecord | undefined {
  if (!h.id) return undefined;
  const json = <T>(text: string | undefined, fallback: T): T => (text ? (JSON.parse(text) as T) : fallback);
  return {
    id: h.id,
    host: h.host ?? '',
    status: (h.status ?? 'pending') as ApprovalStatus,
    actions: json(h.actions, []),
    reasons: json(h.reasons, []),
    decision: json(h.decision, {} as Decision),
    incident_ids: json(h.incident_ids, []),
    requester: json<Principal | null>(h.requester, null),
    request: json<Record<string, unknown> | null>(h.request, null),
    created_at: h.created_at ?? '',
    expires_at: h.expires_at ?? '',
    decided_by: json<Principal | null>(h.decided_by, null),
    notes: h.notes ?? '',
    decided_at: h.decided_at ? h.decided_at : null,
    messages: json(h.messages, {}),
  };
}
