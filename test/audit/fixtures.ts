import { execFile } from 'node:child_process';
import type { AuditEntryInput } from '../../src/audit/index.js';
import type { TestRedis } from '../helpers/redis.js';

/** Runs redis-cli against the test server, as an operator with shell access would (the test's admin user). */
export function redisCli(server: TestRedis, ...args: string[]): Promise<string> {
  const { username, password } = server.admin;
  const login = ['-p', String(server.port), '--user', username, '--pass', password, '--no-auth-warning'];
  return new Promise((resolve, reject) => {
    execFile('redis-cli', [...login, ...args], (err, stdout, stderr) => {
      if (err) reject(new Error(`redis-cli ${args.join(' ')}: ${stderr || err.message}`));
      else if (/^(ERR|WRONGTYPE)/m.test(stdout)) reject(new Error(`redis-cli ${args.join(' ')}: ${stdout}`));
      else resolve(stdout.trim());
    });
  });
}

export const T0 = new Date('2026-11-25T10:00:00.000Z');
export const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

/** A plausible day of one host: a decision, an approval asked for and granted, the action and its result. */
export function story(host: string, i: number): AuditEntryInput[] {
  const approval_id = `apr-${host}-${i}`;
  return [
    {
      type: 'decision',
      host,
      decision: 'HITL_REQUIRED',
      model: 'severity-2026-11-25.1',
      policy: 'default@9ebbb7e53bc7',
    },
    { type: 'approval.requested', host, approval_id, action: 'dns_config_change' },
    { type: 'approval.approved', host, approval_id, actor: 'slack:U123', platform: 'slack', duration_ms: 42_000 },
    { type: 'action.result', host, approval_id, action: 'dns_config_change', trigger: 'approval', outcome: 'success' },
  ];
}
