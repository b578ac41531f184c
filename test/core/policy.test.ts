/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access --
   these tests edit the parsed YAML freely, precisely to make it invalid. */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { mayApprove } from '../../src/core/policy/approvers.js';
import { buildCommand } from '../../src/core/policy/command.js';
import { compilePolicy, type Policy } from '../../src/core/policy/policy.js';
import { loadPolicyFile } from '../../src/io/policy-file.js';
import { DEFAULT_POLICY } from '../helpers/core.js';

let text: string;
let policy: Policy;
let dir: string;

beforeAll(async () => {
  text = await readFile(DEFAULT_POLICY, 'utf8');
  policy = await loadPolicyFile(DEFAULT_POLICY);
  dir = await mkdtemp(join(tmpdir(), 'healgate-policy-'));
});

/** The default policy with one change applied to its parsed document. */
function variant(change: (doc: Record<string, any>) => void) {
  const doc = parse(text) as Record<string, any>;
  change(doc);
  return compilePolicy(doc, JSON.stringify(doc));
}

function errorOf(result: ReturnType<typeof compilePolicy>): string {
  expect(result.ok).toBe(false);
  return result.ok ? '' : result.error;
}

describe('default policy', () => {
  it('holds the thresholds of DESIGN.md', () => {
    expect(policy.signals).toEqual({
      disk_usage: { op: '>', threshold: 85, class: 'AUTO_HEAL' },
      memory_usage: { op: '>', threshold: 85, class: 'AUTO_HEAL' },
      cpu_usage: { op: '>', threshold: 90, class: 'AUTO_HEAL' },
      dns_latency_ms: { op: '>', threshold: 250, class: 'HITL_REQUIRED' },
      firewall_change_requested: { op: '==', threshold: 1, class: 'HITL_REQUIRED' },
    });
    expect(policy.id).toMatch(/^default@[0-9a-f]{12}$/);
  });

  it('has safe fixes for resources and risky changes for DNS and the firewall', () => {
    const risk = Object.fromEntries(Object.entries(policy.actions).map(([id, a]) => [id, [a.risk, a.when]]));
    expect(risk).toEqual({
      disk_cleanup: ['safe', ['disk_usage']],
      memory_cleanup: ['safe', ['memory_usage']],
      restart_service: ['safe', ['cpu_usage']],
      dns_config_change: ['risky', ['dns_latency_ms']],
      firewall_port_change: ['risky', ['firewall_change_requested']],
    });
    expect(policy.approval.timeout).toBe(30 * 60_000);
    expect(policy.actions.disk_cleanup?.cooldown).toBe(30 * 60_000);
  });

  it('tells the agent what to measure, and a policy without an agent section gets the same defaults', () => {
    expect(policy.agent).toMatchObject({
      disk: { mounts: [] },
      dns: { names: ['localhost'], resolvers: [], timeout: 1000 },
      heartbeat_multiple: 3,
    });
    expect(policy.agent.disk.exclude_types).toContain('tmpfs');
    const without = variant((d) => delete d.agent);
    expect(without.ok && without.value.agent).toEqual(policy.agent);
  });

  it('renders real Linux commands as argv arrays', () => {
    const disk = buildCommand(policy, 'disk_cleanup', {});
    expect(disk).toMatchObject({
      ok: true,
      value: {
        steps: [
          ['journalctl', '--vacuum-size=500M'],
          ['find', '/tmp', '/var/tmp', '-xdev', '-type', 'f', '-mtime', '+7', '-delete'],
        ],
        timeoutMs: 120_000,
      },
    });
    expect(buildCommand(policy, 'restart_service', { service: 'nginx.service' })).toMatchObject({
      ok: true,
      value: { steps: [['systemctl', 'restart', 'nginx.service']] },
    });
    expect(buildCommand(policy, 'dns_config_change', {})).toMatchObject({
      ok: true,
      value: {
        steps: [
          ['resolvectl', 'dns', 'eth0', '1.1.1.1', '9.9.9.9'],
          ['resolvectl', 'flush-caches'],
        ],
      },
    });
    expect(buildCommand(policy, 'firewall_port_change', { rule: 'allow', port: 443 })).toMatchObject({
      ok: true,
      value: { steps: [['ufw', 'allow', '443/tcp']] },
    });
  });
});

describe('action parameters', () => {
  it.each([
    [
      'a shell separator',
      'restart_service',
      { service: 'nginx.service; rm -rf /' },
      'service: expected a systemd unit name',
    ],
    [
      'command substitution',
      'restart_service',
      { service: '$(reboot).service' },
      'service: expected a systemd unit name',
    ],
    ['a newline', 'restart_service', { service: 'a.service\nreboot' }, 'service: expected a systemd unit name'],
    ['an option', 'restart_service', { service: '--force.service' }, 'service: expected a systemd unit name'],
    ['a relative path', 'disk_cleanup', { scratch_dirs: ['tmp'] }, 'scratch_dirs[0]: expected an absolute path'],
    ['a parent directory', 'disk_cleanup', { scratch_dirs: ['/tmp/../etc'] }, 'scratch_dirs[0]: must not contain ".."'],
    [
      'a path with spaces',
      'disk_cleanup',
      { scratch_dirs: ['/tmp/a b'] },
      'scratch_dirs[0]: expected an absolute path',
    ],
    [
      // Once a catastrophic backtrack: the agent hung on it instead of refusing.
      'a long path followed by a newline',
      'disk_cleanup',
      { scratch_dirs: ['/tmp/healgate-sandbox-0123456789abcdef/scratch\n/etc'] },
      'scratch_dirs[0]: expected an absolute path',
    ],
    ['a bad size', 'disk_cleanup', { journal_max_size: '1G; reboot' }, 'journal_max_size: expected a size'],
    ['an out-of-range integer', 'disk_cleanup', { older_than_days: 0 }, 'older_than_days'],
    ['an enum outsider', 'firewall_port_change', { rule: 'delete', port: 22 }, 'rule: expected one of: allow, deny'],
    ['a port as text', 'firewall_port_change', { rule: 'allow', port: '22 ; ls' }, 'port: expected a port number'],
    ['a port out of range', 'firewall_port_change', { rule: 'allow', port: 70000 }, 'port'],
    [
      'a bad resolver',
      'dns_config_change',
      { servers: ['1.1.1.1 -x'] },
      'servers[0]: expected an IPv4 or IPv6 address',
    ],
    ['an unknown parameter', 'restart_service', { service: 'a.service', extra: 'x' }, 'extra: unknown key'],
  ])('rejects %s before it reaches argv', (_, action, params, message) => {
    const result = buildCommand(policy, action, params);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });

  it('requires parameters that have no default', () => {
    expect(buildCommand(policy, 'firewall_port_change', { rule: 'allow' })).toEqual({
      ok: false,
      error: 'firewall_port_change: missing parameter port',
    });
    expect(buildCommand(policy, 'nope', {})).toEqual({ ok: false, error: 'unknown action "nope"' });
    expect(buildCommand(policy, 'constructor', {})).toEqual({ ok: false, error: 'unknown action "constructor"' });
  });
});

describe('bad policy files', () => {
  it.each([
    [
      'a misspelt key',
      (d: any) => (d.breakers.max_hosts_autohealing = 3),
      'breakers.max_hosts_autohealing: unknown key',
    ],
    ['a missing signal', (d: any) => delete d.signals.cpu_usage, 'signals.cpu_usage'],
    ['a bad class', (d: any) => (d.signals.disk_usage.class = 'PANIC'), 'signals.disk_usage.class'],
    [
      'a bad duration',
      (d: any) => (d.actions.disk_cleanup.timeout = '10 minutes'),
      'actions.disk_cleanup.timeout: "10 minutes" is not a positive duration',
    ],
    [
      'a cooldown longer than a timer can wait',
      (d: any) => (d.actions.disk_cleanup.cooldown = '30d'),
      'actions.disk_cleanup.cooldown: "30d" is longer than a timer can wait (at most 2147483647 ms, about 24d)',
    ],
    [
      'an approval timeout longer than a timer can wait',
      (d: any) => (d.approval.timeout = '999999999h'),
      'approval.timeout: "999999999h" is longer than a timer can wait',
    ],
    [
      'a DNS timeout longer than a timer can wait',
      (d: any) => (d.agent = { dns: { timeout: '25d' } }),
      'agent.dns.timeout: "25d" is longer than a timer can wait',
    ],
    [
      'an unknown placeholder',
      (d: any) => (d.actions.disk_cleanup.steps[0][1] = '--vacuum-size={size}'),
      'actions.disk_cleanup.steps[0][1]: "--vacuum-size={size}" uses {size}, which is not a declared parameter',
    ],
    [
      'a list inside text',
      (d: any) => (d.actions.disk_cleanup.steps[1][1] = 'dirs={scratch_dirs}'),
      'actions.disk_cleanup.steps[1][1]: list parameter {scratch_dirs} must be a whole argument',
    ],
    [
      'a parameterised program',
      (d: any) => (d.actions.restart_service.steps[0][0] = '{service}'),
      'actions.restart_service.steps[0][0]: the program must be a literal',
    ],
    [
      'a bad default',
      (d: any) => (d.actions.restart_service.params.service.default = 'nginx; reboot'),
      'actions.restart_service.params.service.default: expected a systemd unit name',
    ],
    ['an unknown signal', (d: any) => (d.actions.disk_cleanup.when = ['disk']), 'actions.disk_cleanup.when[0]'],
    [
      'an undefined role',
      (d: any) => (d.actions.firewall_port_change.approvers = ['role:secops']),
      'actions.firewall_port_change.approvers[0]: role "secops" is not defined',
    ],
    ['a bad approver', (d: any) => (d.approvers.global = ['alice']), 'approvers.global[0]: expected platform:userId'],
    ['a confidence above 1', (d: any) => (d.decision.min_confidence = 1.5), 'decision.min_confidence'],
    ['a misspelt agent key', (d: any) => (d.agent.dns.resolver = ['9.9.9.9']), 'agent.dns.resolver: unknown key'],
    [
      'a resolver that is not an address',
      (d: any) => (d.agent.dns.resolvers = ['dns.example; rm']),
      'agent.dns.resolvers[0]: expected an IP address',
    ],
    ['a relative mount point', (d: any) => (d.agent.disk.mounts = ['var']), 'agent.disk.mounts[0]'],
    ['a heartbeat multiple of 1', (d: any) => (d.agent.heartbeat_multiple = 1), 'agent.heartbeat_multiple'],
  ])('reports %s with the path of the offending key', (_, change, message) => {
    expect(errorOf(variant(change))).toContain(message);
  });

  it('names the file when the YAML itself is broken or keys repeat', async () => {
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'version: 1\nsignals: [unclosed\n');
    await expect(loadPolicyFile(broken)).rejects.toThrow(`policy file ${broken} is not valid YAML`);
    const dup = join(dir, 'dup.yaml');
    await writeFile(dup, `${text}\nversion: 1\n`);
    await expect(loadPolicyFile(dup)).rejects.toThrow(/not valid YAML: .*unique/);
    await expect(loadPolicyFile(join(dir, 'missing.yaml'))).rejects.toThrow('cannot read policy file');
  });

  it('names the file and the key for an invalid document', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, text.replace('min_confidence: 0.8', 'min_confidence: high'));
    await expect(loadPolicyFile(file)).rejects.toThrow(`policy file ${file} is invalid: decision.min_confidence:`);
  });
});

describe('approvers', () => {
  const withApprovers = () =>
    variant((d: any) => {
      d.approvers.global = ['slack:UGLOBAL'];
      d.approvers.roles.netops = ['slack:UNET', 'discord-role:890'];
      d.approval.local_console_operator_approves = false;
    });

  it("uses an action's own list instead of the global one, with roles expanded", () => {
    const compiled = withApprovers();
    if (!compiled.ok) throw new Error(compiled.error);
    const p = compiled.value;
    expect(mayApprove(p, 'firewall_port_change', { platform: 'slack', userId: 'UNET' })).toBe(true);
    expect(mayApprove(p, 'firewall_port_change', { platform: 'slack', userId: 'UGLOBAL' })).toBe(false);
    expect(mayApprove(p, 'disk_cleanup', { platform: 'slack', userId: 'UGLOBAL' })).toBe(true);
    expect(mayApprove(p, 'disk_cleanup', { platform: 'slack', userId: 'UNET' })).toBe(false);
  });

  it('accepts Discord users by role, and APPROVERS entries for every action', () => {
    const compiled = withApprovers();
    if (!compiled.ok) throw new Error(compiled.error);
    const p = compiled.value;
    expect(mayApprove(p, 'firewall_port_change', { platform: 'discord', userId: '42', roles: ['890'] })).toBe(true);
    expect(mayApprove(p, 'firewall_port_change', { platform: 'discord', userId: '42', roles: ['891'] })).toBe(false);
    expect(mayApprove(p, 'firewall_port_change', { platform: 'console', userId: 'alice' }, ['console:alice'])).toBe(
      true,
    );
  });

  it('lets the local console operator approve only when the policy says so', () => {
    const local = { platform: 'console', userId: 'ops', localOperator: true } as const;
    expect(mayApprove(policy, 'firewall_port_change', local)).toBe(true);
    const compiled = withApprovers();
    if (!compiled.ok) throw new Error(compiled.error);
    expect(mayApprove(compiled.value, 'firewall_port_change', local)).toBe(false);
  });
});
