#!/usr/bin/env node
// The `hakmem` command: runs the TypeScript CLI from source through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
