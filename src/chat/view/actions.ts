import type { ParamValue } from '../../core/policy/params.js';

/** `firewall_port_change (rule=allow, port=8443, protocol=tcp)`. */
export function describeAction(action: {
  readonly id: string;
  readonly params: Readonly<Record<string, ParamValue>>;
}): string {
  const params = Object.entries(action.params).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(' ') : String(v)}`);
  return params.length > 0 ? `${action.id} (${params.join(', ')})` : action.id;
}

export function modeLabel(dryRun: boolean): string {
  return dryRun ? 'dry-run (nothing is changed)' : 'live';
}
