import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureSyscalls } from './syscalls.ts';
import { workloadSpec } from './workloads.ts';
import { defaultBinDir, defaultLibDir } from '../paths.ts';
import type { Allocator } from '../types.ts';

describe('measureSyscalls', () => {
  it('counts the steady-state calls of each pair it runs, and traces no pair bench skips', async () => {
    const fast = path.join(defaultLibDir, 'libhakmem-fast.so');
    for (const f of [path.join(defaultBinDir, 'tiny_hot'), fast]) {
      if (!fs.existsSync(f)) throw new Error(`missing ${f}: run npm run build first`);
    }
    const glibc: Allocator = { name: 'glibc', preload: null };
    const hk: Allocator = { name: 'hakmem-fast', preload: fast };
    const seen: string[] = [];
    const rows = await measureSyscalls({
      binDir: defaultBinDir,
      workloads: [workloadSpec('tiny_hot')],
      allocators: [glibc, hk],
      allocatorsFor: () => [hk], // glibc "skipped by design" here
      quick: true,
      log: (l) => seen.push(l),
    });
    expect(rows.map((r) => r.allocator)).toEqual(['hakmem-fast']);
    expect(rows[0]!.error).toBeUndefined();
    expect(rows[0]!.steadyPer1e8Ops).toBe(0); // tiny_hot's hit paths make no system call
    expect(seen.join('\n')).not.toContain('glibc');
  }, 120_000);
});
