import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { conditionHolds } from '../../src/core/policy/conditions.js';
import { mapAlert } from '../../src/core/signals/alerts.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { shipped } from '../helpers/core.js';

const run = promisify(execFile);

/** The YAML block of docs/alertmanager.md whose first line is `# <name>`. */
async function documented(name: string): Promise<string> {
  const doc = await readFile(join(REPO_ROOT, 'docs/alertmanager.md'), 'utf8');
  const block = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith(`# ${name}`));
  if (!block) throw new Error(`docs/alertmanager.md has no yaml block starting "# ${name}"`);
  return block;
}

describe('docs/alertmanager.md', () => {
  it('shows an Alertmanager configuration that amtool accepts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'healgate-amdoc-'));
    await writeFile(join(dir, 'token'), 'secret\n');
    const config = (await documented('alertmanager.yml')).replace(
      /credentials_file: \S+/,
      `credentials_file: ${dir}/token`,
    );
    await writeFile(join(dir, 'alertmanager.yml'), config);
    const { stdout } = await run('amtool', ['check-config', join(dir, 'alertmanager.yml')]);
    expect(stdout).toContain('SUCCESS');
  });

  it('shows node_exporter rules whose alerts the default policy reads as the breach they are', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'healgate-rulesdoc-'));
    await writeFile(join(dir, 'node-rules.yml'), await documented('node-rules.yml'));
    const labels = 'instance="db-1:9100",device="/dev/sda1",mountpoint="/"';
    const description =
      'Disk is almost full (< 10% left)\n  VALUE = 7.5\n  LABELS = map[device:/dev/sda1 instance:db-1:9100 mountpoint:/]';
    // Prometheus' own evaluation of the documented rule: 7.5 % free fires, with this description.
    const unit = {
      rule_files: ['node-rules.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            { series: `node_filesystem_avail_bytes{${labels}}`, values: '7.5x5' },
            { series: `node_filesystem_size_bytes{${labels}}`, values: '100x5' },
            { series: `node_filesystem_readonly{${labels}}`, values: '0x5' },
          ],
          alert_rule_test: [
            {
              eval_time: '3m',
              alertname: 'HostOutOfDiskSpace',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', instance: 'db-1:9100', device: '/dev/sda1', mountpoint: '/' },
                  exp_annotations: { summary: 'Host out of disk space (instance db-1:9100)', description },
                },
              ],
            },
          ],
        },
      ],
    };
    await writeFile(join(dir, 'unit.json'), JSON.stringify(unit));
    await run('promtool', ['check', 'rules', join(dir, 'node-rules.yml')]);
    const { stdout } = await run('promtool', ['test', 'rules', join(dir, 'unit.json')], { cwd: dir });
    expect(stdout).toContain('SUCCESS');

    const { policy } = await shipped();
    const mapped = mapAlert(
      {
        status: 'firing',
        labels: { alertname: 'HostOutOfDiskSpace', instance: 'db-1:9100', severity: 'warning' },
        annotations: { description },
        startsAt: '2026-11-25T10:00:00Z',
        fingerprint: 'doc1',
      },
      policy.alertmanager,
    );
    expect(mapped).toMatchObject({ ok: true, mapped: { host: 'db-1', signal: 'disk_usage', value: 92.5 } });
    expect(conditionHolds(policy.signals.disk_usage, mapped.ok ? mapped.mapped.value : 0)).toBe(true);
  });
});
