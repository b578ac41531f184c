import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis.js';

/** Debian's package; .ci/run installs it when missing. */
export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

export interface AlertmanagerOptions {
  /** Where its webhook receiver posts (the bot's /v1/alertmanager). */
  readonly webhook: string;
  /** Resend a firing group's notification this often (Alertmanager's repeat_interval). */
  readonly repeatInterval?: string;
}

export interface TestAlertmanager {
  readonly url: string;
  /** POST /api/v2/alerts: what Prometheus sends. */
  post(alerts: readonly PostableAlert[]): Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly startsAt: string;
  /** In the past: the alert is resolved. */
  readonly endsAt?: string;
}

/**
 * A real Alertmanager on free loopback ports with its own storage and a
 * config written here: one webhook receiver, default grouping (no group_by:
 * every alert in one notification), short group_wait and group_interval.
 */
export async function startAlertmanager(options: AlertmanagerOptions): Promise<TestAlertmanager> {
  const dir = await mkdtemp(join(tmpdir(), 'healgate-am-'));
  const port = await freePort();
  const config = [
    'route:',
    '  receiver: healgate',
    '  group_wait: 1s',
    '  group_interval: 1s',
    `  repeat_interval: ${options.repeatInterval ?? '1h'}`,
    'receivers:',
    '  - name: healgate',
    '    webhook_configs:',
    `      - url: ${options.webhook}`,
    '        send_resolved: true',
    '',
  ].join('\n');
  await writeFile(join(dir, 'alertmanager.yml'), config);
  const child: ChildProcess = spawn(
    ALERTMANAGER_BIN,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Alone: two of them stand for an HA pair whose gossip did not keep the second from sending.
      '--cluster.listen-address=',
      '--log.level=info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alertmanager exited at start:\n${output}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`alertmanager not ready within 20 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async post(alerts) {
      const response = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      if (!response.ok) throw new Error(`alertmanager refused alerts: ${response.status} ${await response.text()}`);
    },
    output: () => output,
    stop,
  };
}

/** A webhook notification as Alertmanager posts it, with the stock rules' free-percent annotation (`VALUE = …`). */
export function webhook(
  status: 'firing' | 'resolved',
  alerts: { name: string; instance: string; free?: string; fingerprint: string }[],
) {
  return {
    version: '4',
    groupKey: '{}:{alertname="HostOutOfDiskSpace"}',
    truncatedAlerts: 0,
    status,
    receiver: 'healgate',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: alerts.map((a) => ({
      status,
      labels: { alertname: a.name, instance: a.instance, severity: 'warning' },
      annotations: a.free
        ? { description: `Disk is almost full\n  VALUE = ${a.free}`, summary: 'disk almost full' }
        : {},
      startsAt: '2026-11-25T10:00:00.000Z',
      endsAt: status === 'resolved' ? '2026-11-25T10:30:00.000Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph',
      fingerprint: a.fingerprint,
    })),
  };
}
