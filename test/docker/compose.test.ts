import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FILE_VARIABLES } from '../../src/config/secret-files.js';
import { REPO_ROOT } from '../helpers/cli.js';

const DOCKER = join(REPO_ROOT, 'docker');

interface Service {
  command?: string[];
  env_file?: { path: string; required?: boolean }[];
  environment?: Record<string, string>;
  secrets?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
  profiles?: string[];
  volumes?: string[];
}
interface Compose {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
}

async function compose(): Promise<Compose> {
  // merge: true resolves the `<<: *healgate` keys as compose does.
  return parse(await readFile(join(DOCKER, 'compose.yaml'), 'utf8'), { merge: true }) as Compose;
}

describe('docker/compose.yaml', () => {
  it('is valid under the compose specification schema', async () => {
    // Vendored from compose-spec/compose-spec (schema/compose-spec.json): no engine runs here.
    const schema = JSON.parse(await readFile(join(DOCKER, 'schema/compose-spec.json'), 'utf8')) as object;
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    const validate = ajv.compile(schema);
    const file = await compose();
    expect(validate(file) ? [] : validate.errors).toEqual([]);
    // And the schema would notice a mistake.
    expect(validate({ ...file, services: { bot: { restart: 'sometimes', depends_on: 'redis' } } })).toBe(false);
  });

  it('starts nothing before what it needs is healthy, restarts everything, and probes every server', async () => {
    const { services } = await compose();
    expect(Object.keys(services).sort()).toEqual(['agent', 'bot', 'grafana', 'prometheus', 'redis']);
    for (const [name, service] of Object.entries(services)) {
      expect(service.restart, name).toBe('unless-stopped');
      for (const [needed, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(condition, `${name} -> ${needed}`).toBe('service_healthy');
        expect(services[needed]?.healthcheck?.test, `${needed} has a healthcheck`).toBeDefined();
      }
      if (name !== 'agent') expect(service.healthcheck?.test, name).toBeDefined();
    }
    expect(services.bot!.healthcheck!.test!.join(' ')).toContain('/readyz');
    expect(services.agent!.profiles).toEqual(['agent']);
    expect(services.prometheus!.profiles).toEqual(['monitoring']);
    expect(services.grafana!.profiles).toEqual(['monitoring']);
  });

  it('gives the bot every variable from the env file and its secrets as files the config reads', async () => {
    const { services, secrets } = await compose();
    const bot = services.bot!;
    expect(bot.env_file).toEqual([{ path: '../.env', required: false }]);
    const fileVars = Object.entries(bot.environment ?? {}).filter(([k]) => k.endsWith('_FILE'));
    expect(fileVars.length).toBeGreaterThanOrEqual(2);
    for (const [name, path] of fileVars) {
      expect(FILE_VARIABLES as readonly string[]).toContain(name.replace(/_FILE$/, ''));
      const secret = path.replace('/run/secrets/', '');
      expect(bot.secrets).toContain(secret);
      expect(secrets[secret]?.file).toMatch(/^\.\/secrets\//);
    }
    // Plain secrets never sit in the compose file's environment.
    for (const name of FILE_VARIABLES.filter((v) => v !== 'REDIS_URL'))
      expect(Object.keys(bot.environment ?? {})).not.toContain(name);
  });

  it('mounts files that exist in the repository', async () => {
    const { services } = await compose();
    const mounts = Object.values(services).flatMap((s) => s.volumes ?? []);
    const local = mounts.map((m) => m.split(':')[0]!).filter((source) => source.startsWith('.'));
    expect(local.length).toBeGreaterThanOrEqual(4);
    for (const source of local) expect(existsSync(resolve(DOCKER, source)), source).toBe(true);
  });

  it('builds on a maintained Node LTS', async () => {
    const dockerfile = await readFile(join(DOCKER, 'Dockerfile'), 'utf8');
    const [, major] = /^FROM node:(\d+)-/m.exec(dockerfile) ?? [];
    // Even majors are LTS; 20 reached its end of life in April 2026.
    expect(Number(major) % 2).toBe(0);
    expect(Number(major)).toBeGreaterThanOrEqual(22);
    expect(dockerfile).toMatch(/^HEALTHCHECK [^]*\/readyz/m);
  });
});
