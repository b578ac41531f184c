#!/usr/bin/env node
import { buildDist } from './dist.js';

console.log(`healgate: compiled ${await buildDist()} files to dist/`);
