import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { useBot } from '../helpers/bot.js';
import { REPO_ROOT } from '../helpers/cli.js';

const MONITORING = join(REPO_ROOT, 'monitoring');
const run = promisify(execFile);
const promtool = (...args: string[]) => run('promtool', args, { cwd: MONITORING });

const t = useBot();

/** Every metric name an expression reads that healgate or Node exports (histograms by their base name). */
function metricsIn(exprs: readonly string[]): string[] {
  const names = exprs.flatMap((e) => e.match(/\b(?:healgate|nodejs|process)_[a-z0-9_]+/g) ?? []);
  return [...new Set(names.map((n) => n.replace(/_(bucket|count|sum)$/, '')))].sort();
}

async function exposed(): Promise<Set<string>> {
  const text = await (await fetch(`${t.bot.url}/metrics`)).text();
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
}

interface Rules {
  groups: { rules: { alert: string; expr: string }[] }[];
}

describe('monitoring/', () => {
  it('alerting rules pass promtool check rules and their unit tests', async () => {
    expect((await promtool('check', 'rules', 'healgate.rules.yml')).stdout).toContain('SUCCESS: 10 rules found');
    expect((await promtool('test', 'rules', 'healgate.rules.test.yml')).stdout).toContain('SUCCESS');
  });

  it("Prometheus's configuration is valid once its rules are where compose mounts them", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'healgate-prometheus-'));
    await copyFile(join(MONITORING, 'healgate.rules.yml'), join(dir, 'healgate.rules.yml'));
    const config = await readFile(join(MONITORING, 'prometheus.yml'), 'utf8');
    expect(config).toContain('/etc/prometheus/healgate.rules.yml');
    await writeFile(join(dir, 'prometheus.yml'), config.replace('/etc/prometheus/', `${dir}/`));
    expect((await run('promtool', ['check', 'config', join(dir, 'prometheus.yml')])).stdout).toContain('SUCCESS');
  });

  it('the rules and every dashboard panel query valid PromQL over metrics the bot exports', async () => {
    const rules = parse(await readFile(join(MONITORING, 'healgate.rules.yml'), 'utf8')) as Rules;
    const ruleExprs = rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
    const dashboard = JSON.parse(await readFile(join(MONITORING, 'grafana/dashboards/healgate.json'), 'utf8')) as {
      uid: string;
      panels: { title: string; targets: { expr: string }[] }[];
    };
    expect(dashboard.uid).toBe('healgate');
    const panelExprs = dashboard.panels.flatMap((p) => p.targets.map((q) => q.expr));
    expect(panelExprs.length).toBeGreaterThan(15);

    // promtool parses PromQL: each query as a recording rule.
    const dir = await mkdtemp(join(tmpdir(), 'healgate-dashboard-'));
    const file = join(dir, 'panels.yml');
    const records = panelExprs.map((expr, i) => ({ record: `healgate:panel_${i}`, expr }));
    await writeFile(file, stringify({ groups: [{ name: 'panels', rules: records }] }));
    expect((await run('promtool', ['check', 'rules', file])).stdout).toContain(
      `SUCCESS: ${records.length} rules found`,
    );

    const have = await exposed();
    const missing = metricsIn([...ruleExprs, ...panelExprs]).filter((name) => !have.has(name));
    expect(missing).toEqual([]);
  });
});
