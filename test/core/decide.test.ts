import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readFile } from 'node:fs/promises';
import type { DecisionClass } from '../../src/core/classes.js';
import { decide } from '../../src/core/decide/decide.js';
import { EMPTY_CONTEXT, type DecisionContext } from '../../src/core/decide/types.js';
import type { ModelArtifact } from '../../src/core/model/artifact.js';
import { SeverityClassifier } from '../../src/core/model/classifier.js';
import { compilePolicy, type Policy } from '../../src/core/policy/policy.js';
import { readModelFile } from '../../src/io/model-file.js';
import { DEFAULT_POLICY, SHIPPED_MODEL, shipped, snapshot } from '../helpers/core.js';

let model: SeverityClassifier;
let policy: Policy;
let artifact: ModelArtifact;
let policyText: string;

beforeAll(async () => {
  ({ classifier: model, policy } = await shipped());
  artifact = await readModelFile(SHIPPED_MODEL, { requireApproval: true });
  policyText = await readFile(DEFAULT_POLICY, 'utf8');
});

/**
 * A real classifier whose weights ignore the features: it always answers
 * `cls` with high confidence, or, for 'unsure', gives every class 1/3.
 * This is how the table is tested against a model that disagrees with the rules.
 */
function fixedModel(cls: DecisionClass | 'unsure'): SeverityClassifier {
  const width = artifact.feature_schema.features.length + 1;
  const classifiers = ['NO_ACTION', 'AUTO_HEAL', 'HITL_REQUIRED'].map((name) => ({
    numSteps: 1,
    learningRate: 1,
    weights: [Array.from({ length: width }, (_, k) => (k === 0 && cls !== 'unsure' ? (name === cls ? -20 : 20) : 0))],
  }));
  return new SeverityClassifier({
    ...artifact,
    weights: { ...artifact.weights, classifiers },
    version: `fixed-${cls}`,
  });
}

function policyWithout(...actions: string[]): Policy {
  const doc = parse(policyText) as { actions: Record<string, unknown> };
  for (const id of actions) delete doc.actions[id];
  const compiled = compilePolicy(doc, JSON.stringify(doc));
  if (!compiled.ok) throw new Error(compiled.error);
  return compiled.value;
}

const NOW = Date.parse('2026-11-25T12:00:00Z');
const MIN = 60_000;
function context(overrides: Partial<DecisionContext>): DecisionContext {
  return { ...EMPTY_CONTEXT, now: NOW, ...overrides };
}

const ids = (d: { actions: readonly { id: string }[] }) => d.actions.map((a) => a.id);

describe('decision table', () => {
  it('healthy: nothing past a threshold and a confident model → NO_ACTION', () => {
    const d = decide(snapshot(), model, policy);
    expect(d).toMatchObject({ decision: 'NO_ACTION', severity: 0, rule: 'healthy', actions: [] });
  });

  it('auto_heal: a safe signal, the model agrees, no guard → AUTO_HEAL with only the safe action', () => {
    const d = decide(snapshot({ disk_usage: 91.5 }), model, policy);
    expect(d).toMatchObject({ decision: 'AUTO_HEAL', severity: 1, rule: 'auto_heal', model_class: 'AUTO_HEAL' });
    expect(ids(d)).toEqual(['disk_cleanup']);
    expect(d.reasons[0]).toBe('disk_usage 91.5 > 85');
  });

  it('auto_heal: several safe signals run all their actions', () => {
    const d = decide(snapshot({ disk_usage: 95, memory_usage: 92, cpu_usage: 99 }), model, policy);
    expect(d.decision).toBe('AUTO_HEAL');
    expect(ids(d)).toEqual(['disk_cleanup', 'memory_cleanup', 'restart_service']);
  });

  it.each([
    ['dns_latency_ms', { dns_latency_ms: 400 }, 'dns_config_change'],
    ['firewall_change_requested', { firewall_change_requested: 1 as const }, 'firewall_port_change'],
  ])('risky_action: %s → HITL_REQUIRED whatever the model says', (_, override, action) => {
    for (const m of [model, fixedModel('NO_ACTION'), fixedModel('AUTO_HEAL'), fixedModel('unsure')]) {
      const d = decide(snapshot(override), m, policy);
      expect(d).toMatchObject({ decision: 'HITL_REQUIRED', severity: 2, rule: 'risky_action' });
      expect(ids(d)).toEqual([action]);
    }
  });

  it('risky_action: safe actions of the same snapshot wait for the same approval (HITL outranks AUTO_HEAL)', () => {
    const d = decide(snapshot({ disk_usage: 95, dns_latency_ms: 400 }), model, policy);
    expect(d).toMatchObject({ decision: 'HITL_REQUIRED', rule: 'risky_action' });
    expect(d.actions.map((a) => [a.id, a.risk])).toEqual([
      ['disk_cleanup', 'safe'],
      ['dns_config_change', 'risky'],
    ]);
    expect(d.reasons.at(-1)).toBe(
      'dns_config_change is risky: needs approval; safe actions disk_cleanup wait for the same approval',
    );
  });

  it('risky_action: a firewall request carries the parameters it still needs', () => {
    const d = decide(snapshot({ firewall_change_requested: 1 }), model, policy);
    expect(d.actions[0]).toMatchObject({
      id: 'firewall_port_change',
      params: { protocol: 'tcp' },
      missing_params: ['rule', 'port'],
    });
  });

  it('hitl_signal: a HITL signal with no action in the policy still goes to a human', () => {
    const d = decide(snapshot({ dns_latency_ms: 400 }), fixedModel('NO_ACTION'), policyWithout('dns_config_change'));
    expect(d).toMatchObject({ decision: 'HITL_REQUIRED', rule: 'hitl_signal', actions: [] });
    expect(d.reasons.at(-1)).toBe('dns_latency_ms needs a human decision');
  });

  it('model_hitl: the model can raise a quiet snapshot to a human, never run anything by itself', () => {
    const quiet = decide(snapshot(), fixedModel('HITL_REQUIRED'), policy);
    expect(quiet).toMatchObject({ decision: 'HITL_REQUIRED', rule: 'model_hitl', actions: [] });
    const disk = decide(snapshot({ disk_usage: 95 }), fixedModel('HITL_REQUIRED'), policy);
    expect(disk).toMatchObject({ decision: 'HITL_REQUIRED', rule: 'model_hitl' });
    expect(ids(disk)).toEqual(['disk_cleanup']);
  });

  it('low_confidence: a model below min_confidence hands the decision to a human', () => {
    const d = decide(snapshot({ disk_usage: 95 }), fixedModel('unsure'), policy);
    expect(d).toMatchObject({ decision: 'HITL_REQUIRED', rule: 'low_confidence' });
    expect(d.confidence).toBeCloseTo(1 / 3, 6);
    expect(d.reasons.at(-1)).toContain('below the 0.8 confidence needed to act alone');
    expect(ids(d)).toEqual(['disk_cleanup']);
  });

  it('low_confidence: the shipped model right at a threshold is unsure, and a human decides', () => {
    const d = decide(snapshot({ disk_usage: 85 }), model, policy);
    expect(d.confidence).toBeLessThan(policy.decision.min_confidence);
    expect(d).toMatchObject({ decision: 'HITL_REQUIRED', rule: 'low_confidence' });
  });

  it('no_safe_action: the model says AUTO_HEAL but nothing crossed a threshold', () => {
    const d = decide(snapshot(), fixedModel('AUTO_HEAL'), policy);
    expect(d).toMatchObject({ decision: 'HITL_REQUIRED', rule: 'no_safe_action', actions: [] });
    expect(d.reasons.at(-1)).toContain('no signal is past its threshold');
  });

  it('no_safe_action: a crossed signal that no safe action handles is never silently skipped', () => {
    const d = decide(snapshot({ disk_usage: 95, memory_usage: 95 }), model, policyWithout('memory_cleanup'));
    expect(d).toMatchObject({ decision: 'HITL_REQUIRED', rule: 'no_safe_action' });
    expect(d.reasons.at(-1)).toContain('no safe action handles memory_usage');
    expect(ids(d)).toEqual(['disk_cleanup']);
  });

  it('disagreement: the rules fire but the model says NO_ACTION → human', () => {
    const d = decide(snapshot({ cpu_usage: 97 }), fixedModel('NO_ACTION'), policy);
    expect(d).toMatchObject({ decision: 'HITL_REQUIRED', rule: 'disagreement' });
    expect(ids(d)).toEqual(['restart_service']);
  });

  it('breaker_host: too many auto-heals on this host in the last hour → human', () => {
    const recent = [5, 20, 50].map((m) => ({ action: 'memory_cleanup', at: NOW - m * MIN }));
    const tripped = decide(snapshot({ disk_usage: 95 }), model, policy, context({ recentAutoHeals: recent }));
    expect(tripped).toMatchObject({ decision: 'HITL_REQUIRED', rule: 'breaker_host' });
    expect(tripped.reasons.at(-1)).toBe('circuit breaker: 3 auto-heals on host-1 in the last hour (max 3)');
    const older = [5, 20, 61].map((m) => ({ action: 'memory_cleanup', at: NOW - m * MIN }));
    expect(decide(snapshot({ disk_usage: 95 }), model, policy, context({ recentAutoHeals: older })).decision).toBe(
      'AUTO_HEAL',
    );
  });

  it('breaker_fleet: too many hosts auto-healing at once → human', () => {
    const five = ['a', 'b', 'c', 'd', 'e'];
    const tripped = decide(snapshot({ disk_usage: 95 }), model, policy, context({ hostsAutoHealing: five }));
    expect(tripped).toMatchObject({ decision: 'HITL_REQUIRED', rule: 'breaker_fleet' });
    const selfIncluded = ['a', 'b', 'c', 'd', 'host-1'];
    expect(
      decide(snapshot({ disk_usage: 95 }), model, policy, context({ hostsAutoHealing: selfIncluded })).decision,
    ).toBe('AUTO_HEAL');
  });

  it('cooldown: repeating an action within its cooldown → human, because the last fix did not hold', () => {
    const soon = decide(
      snapshot({ disk_usage: 95 }),
      model,
      policy,
      context({ recentAutoHeals: [{ action: 'disk_cleanup', at: NOW - 10 * MIN }] }),
    );
    expect(soon).toMatchObject({ decision: 'HITL_REQUIRED', rule: 'cooldown' });
    expect(soon.reasons.at(-1)).toBe('disk_cleanup ran 10m ago, within its 30m cooldown: the last fix did not hold');
    const inProgress = decide(
      snapshot({ disk_usage: 95 }),
      model,
      policy,
      context({ openIncidents: ['disk_usage'], recentAutoHeals: [{ action: 'disk_cleanup', at: NOW - 1 * MIN }] }),
    );
    expect(inProgress).toMatchObject({ decision: 'AUTO_HEAL', rule: 'auto_heal' });
    const later = decide(
      snapshot({ disk_usage: 95 }),
      model,
      policy,
      context({ recentAutoHeals: [{ action: 'disk_cleanup', at: NOW - 31 * MIN }] }),
    );
    expect(later.decision).toBe('AUTO_HEAL');
  });
});

describe('decision object', () => {
  it('carries the fields of DESIGN.md', () => {
    const d = decide(snapshot({ disk_usage: 91.5, ts: '2026-11-25T10:00:00Z' }), model, policy);
    expect(d).toMatchObject({
      host: 'host-1',
      ts: '2026-11-25T10:00:00Z',
      decision: 'AUTO_HEAL',
      severity: 1,
      model: artifact.version,
      policy: policy.id,
      actions: [{ id: 'disk_cleanup', risk: 'safe' }],
    });
    expect(d.probabilities).toHaveLength(3);
    expect(d.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(d.contributions[0]).toMatchObject({ feature: 'disk_usage' });
  });

  it('marks signals whose incident is already open', () => {
    const d = decide(
      snapshot({ disk_usage: 95, cpu_usage: 95 }),
      model,
      policy,
      context({ openIncidents: ['disk_usage'] }),
    );
    expect(d.signals.map((s) => [s.signal, s.open])).toEqual([
      ['disk_usage', true],
      ['cpu_usage', false],
    ]);
  });

  it('is deterministic: the same inputs give the same decision, whatever ran in between', () => {
    const s = snapshot({ disk_usage: 86.2, dns_latency_ms: 249.9 });
    const first = JSON.stringify(decide(s, model, policy));
    decide(snapshot({ dns_latency_ms: 900, firewall_change_requested: 1 }), model, policy);
    expect(JSON.stringify(decide(s, model, policy))).toBe(first);
  });
});
