import { join } from 'node:path';
import { SeverityClassifier } from '../../src/core/model/classifier.js';
import type { Policy } from '../../src/core/policy/policy.js';
import type { Snapshot } from '../../src/core/snapshot/schema.js';
import { readModelFile } from '../../src/io/model-file.js';
import { loadPolicyFile } from '../../src/io/policy-file.js';
import { REPO_ROOT } from './cli.js';

export const SHIPPED_MODEL = join(REPO_ROOT, 'model/severity-model.json');
export const DEFAULT_POLICY = join(REPO_ROOT, 'policies/default.yaml');

/** The shipped, approved model and the default policy, loaded the way the bot loads them. */
export async function shipped(): Promise<{ classifier: SeverityClassifier; policy: Policy }> {
  const [artifact, policy] = await Promise.all([
    readModelFile(SHIPPED_MODEL, { requireApproval: true }),
    loadPolicyFile(DEFAULT_POLICY),
  ]);
  return { classifier: new SeverityClassifier(artifact), policy };
}

export function snapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    host: 'host-1',
    disk_usage: 40,
    memory_usage: 40,
    cpu_usage: 20,
    dns_latency_ms: 30,
    firewall_change_requested: 0,
    ...overrides,
  };
}
