import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseObserveReport } from '@hakmem/parse-output';
import { measureObserveStats, observeStatsTable } from './observe-stats.ts';
import { defaultBinDir, defaultLibDir } from '../paths.ts';
import type { ObserveStats } from '../types.ts';
import { workloadSpec } from './workloads.ts';

const REPORT =
  '{"hakmem_stats":1,"mode":"observe","profile":"balanced","config":"efa12984d748fe73","threads":"exited plus calling",' +
  '"classes":[{"class":3,"size":64,"hits":999,"misses":1,"hit_rate":0.9990}],"totals":{"hits":999,"misses":1,"hit_rate":0.9990},' +
  '"boxes":{"unified-cache":{"refills":1,"flushes":0}}}';

describe('parseObserveReport', () => {
  it("finds the report line among the program's own stderr", () => {
    const r = parseObserveReport(`warning: something\n${REPORT}\nmore noise\n`);
    expect(r?.classes).toEqual([{ class: 3, size: 64, hits: 999, misses: 1, hit_rate: 0.999 }]);
    expect(r?.boxes['unified-cache']?.refills).toBe(1);
  });
  it('is null without a report, or with a cut or malformed one', () => {
    expect(parseObserveReport('')).toBeNull();
    expect(parseObserveReport('hakmem stats (observe) profile=balanced config=x\n')).toBeNull();
    expect(parseObserveReport(REPORT.slice(0, 80))).toBeNull();
    expect(parseObserveReport('{"hakmem_stats":1,"classes":{}}')).toBeNull();
  });
});

describe('observeStatsTable', () => {
  it('shows the totals per workload and the failures', () => {
    const ok: ObserveStats = { workload: 'tiny_hot', library: 'l', argv: [], report: parseObserveReport(REPORT) };
    const bad: ObserveStats = { workload: 'batch', library: 'l', argv: [], report: null, error: 'exit 1' };
    const md = observeStatsTable([ok, bad]).split('\n');
    expect(md[2]).toBe('| tiny_hot | 1 | 999 | 1 | 99.9% |');
    expect(md[3]).toBe('| batch | FAILED: exit 1 | | | |');
  });
});

describe('measureObserveStats', () => {
  it('runs a workload under libhakmem-observe.so and keeps its report; a failing run keeps the reason', async () => {
    for (const f of [path.join(defaultBinDir, 'tiny_hot'), path.join(defaultLibDir, 'libhakmem-observe.so')]) {
      if (!fs.existsSync(f)) throw new Error(`missing ${f}: run npm run build first`);
    }
    const [ok] = await measureObserveStats({
      binDir: defaultBinDir,
      libDir: defaultLibDir,
      workloads: [workloadSpec('tiny_hot')],
      quick: true,
      timeoutSeconds: 60,
    });
    expect(ok!.error).toBeUndefined();
    expect(ok!.argv).toEqual(['iters=1000000']);
    const row = ok!.report!.classes.find((c) => c.size === 64)!;
    expect(row.hits! + row.misses!).toBeGreaterThanOrEqual(1_000_000);

    // a bin directory where tiny_hot is a program that fails
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-observe-'));
    try {
      fs.writeFileSync(path.join(dir, 'tiny_hot'), '#!/bin/sh\necho broken >&2\nexit 3\n', { mode: 0o755 });
      const [bad] = await measureObserveStats({
        binDir: dir,
        libDir: defaultLibDir,
        workloads: [workloadSpec('tiny_hot')],
        quick: true,
        timeoutSeconds: 60,
      });
      expect(bad).toMatchObject({ workload: 'tiny_hot', report: null, error: 'exit 3' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
