#!/usr/bin/env node
// Runs the compiled build when it is current (`npm run build`, also run by
// `npm ci` and `npm start`), else the TypeScript sources through tsx, so an
// edited checkout never runs stale code.
import { setFlagsFromString } from 'node:v8';
import { DIST_ENTRY, buildIsCurrent } from './dist.js';

if (buildIsCurrent()) {
  // The agent runs on every host and mostly sleeps between polls: V8's lite
  // mode (no optimising compilers, lazy feedback) trades speed it does not
  // need for ~20 MB of RSS. It must be set before any module is compiled,
  // hence here. wasm is off in lite mode (saying so avoids V8's conflict
  // warning), which is why the sources, through tsx, run without it.
  if (process.argv[2] === 'agent') setFlagsFromString('--lite-mode --no-expose-wasm');
  await import(DIST_ENTRY);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
