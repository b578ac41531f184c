import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Every temp directory the tests make (policy copies, sandboxes, Redis data,
 * browser profiles) goes under one root, removed when the run ends, so that
 * runs leave nothing behind on a shared machine.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'healgate-test-'));
  // Test workers and the processes they start (agents, redis-server, chromium) inherit it.
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
