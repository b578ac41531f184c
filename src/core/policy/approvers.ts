import type { PolicyDocument } from './schema.js';

/** Who is acting, as chat platforms identify people. */
export interface Principal {
  readonly platform: 'slack' | 'discord' | 'console' | 'api';
  readonly userId: string;
  readonly displayName?: string;
  /** Discord role ids the user holds, for `discord-role:` entries. */
  readonly roles?: readonly string[];
  /** The console's operator on a loopback-only console. */
  readonly localOperator?: boolean;
  /** Groups an authenticating proxy vouched for, for `console-group:` entries. */
  readonly groups?: readonly string[];
  /**
   * How the console knows the name: the machine's own user, a name typed
   * beside the shared token (attributed, not proven), the authenticating
   * proxy's verified user, or the OpenID provider's. Kept with the decision and in the audit.
   */
  readonly auth?: 'local' | 'shared-token' | 'proxy' | 'oidc';
}

export function principalId(p: Principal): string {
  return `${p.platform}:${p.userId}`;
}

/** `role:name` entries expanded to their members; other entries as they are. */
function expand(entries: readonly string[], roles: Readonly<Record<string, readonly string[]>>): string[] {
  return entries.flatMap((e) => (e.startsWith('role:') ? [...(roles[e.slice(5)] ?? [])] : [e]));
}

type ApproverPolicy = Pick<PolicyDocument, 'approvers' | 'actions' | 'approval'>;

/**
 * Who may decide this action: principal ids and `discord-role:` entries.
 * The action's own `approvers` replace the global list. APPROVERS from the
 * environment (`extra`) are added to whichever list applies: the operator
 * who sets it means those people.
 */
export function approversOf(policy: ApproverPolicy, actionId: string, extra: readonly string[] = []): string[] {
  const own = Object.hasOwn(policy.actions, actionId) ? policy.actions[actionId]?.approvers : undefined;
  return [...new Set(expand([...(own ?? policy.approvers.global), ...extra], policy.approvers.roles))];
}

/**
 * May this person decide this action? One of its approvers, or the local
 * console operator when the policy says so.
 */
export function mayApprove(
  policy: ApproverPolicy,
  actionId: string,
  who: Principal,
  extra: readonly string[] = [],
): boolean {
  if (who.platform === 'console' && who.localOperator === true && policy.approval.local_console_operator_approves)
    return true;
  const allowed = approversOf(policy, actionId, extra);
  const id = principalId(who);
  return (
    allowed.includes(id) ||
    (who.platform === 'discord' && (who.roles ?? []).some((r) => allowed.includes(`discord-role:${r}`))) ||
    (who.platform === 'console' &&
      (who.auth === 'proxy' || who.auth === 'oidc') &&
      (who.groups ?? []).some((g) => allowed.includes(`console-group:${g}`)))
  );
}
