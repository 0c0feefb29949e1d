// Stress: the seeded randomised stress test (stress.c, beside this spec) against its model, at
// fixed seeds, under every library and glibc as the control: one deterministic
// single-thread run and one with four threads whose lifetimes end (hand-overs between
// threads, heaps abandoned and adopted). Longer runs with fresh seeds: npm run stress.
// The binary is built here (make -C native check-stress: one small compile), since the
// default build does not make it. The reproducers of fixed bugs (repro/, beside this spec) run too.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIST, LIBS, ROOT, describeRun, expectOk, need, run } from '../helpers.ts';

const STRESS = path.join(DIST, 'check', 'bin', 'stress');

beforeAll(async () => {
  await execa('make', ['-C', path.join(ROOT, 'native'), `DIST=${DIST}`, 'check-stress'], { reject: true });
}, 120_000);

const TARGETS = [{ file: 'glibc (no preload)', path: undefined as string | undefined }, ...LIBS];

const RUNS = [
  { what: 'one thread, seed 1 (deterministic)', args: ['seed=1', 'threads=1', 'ops=100000'] },
  { what: 'four threads with lifetimes, seed 2', args: ['seed=2', 'threads=4', 'life=4000', 'ops=100000'] },
];

// reproducers of bugs the stress test and the fuzzer found (repro/ beside this spec), once fixed
const REPROS = readdirSync(path.join(ROOT, 'native', 'test', 'stress', 'repro'))
  .filter((f) => f.endsWith('.c'))
  .map((f) => f.slice(0, -2));

describe.each(TARGETS)('$file', (t) => {
  it.each(RUNS)(
    'stress: $what',
    async ({ args }) => {
      const r = await run(need(STRESS), args, { preload: t.path, timeoutMs: 30_000 });
      expectOk(r);
      expect(r.stdout, describeRun(r)).toMatch(/^stress: ok seed=\d+ ops=\d+ /m);
    },
    40_000,
  );

  it.each(REPROS)(
    'regression: %s',
    async (name) => {
      const r = await run(need(path.join(DIST, 'check', 'bin', 'repro', name)), [], {
        preload: t.path,
        timeoutMs: 20_000,
      });
      expectOk(r);
    },
    30_000,
  );
});
