#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx, so a checkout
// works after `npm ci` with no separate build step that could go stale.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
