// The workload programs (native/bench, docs/workloads.md) at small sizes: each
// runs under every library and under glibc with exit 0 and a valid result line; bad
// arguments give usage and exit 2; soak mode prints epoch lines then the result line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LIBS,
  acquireHeavyLock,
  bin,
  describeRun,
  expectOk,
  LOCK_HOOK_TIMEOUT,
  readResultLine,
  run,
} from './helpers.ts';

let release: (() => void) | undefined;
beforeAll(async () => {
  release = await acquireHeavyLock();
}, LOCK_HOOK_TIMEOUT);
afterAll(() => release?.());

/** Small runs: name, arguments, and the ops the result line must report (undefined = time-bound). */
const SMALL: { name: string; args: string[]; ops?: number }[] = [
  { name: 'random_mixed', args: ['iters=1000000'], ops: 1_000_000 },
  { name: 'tiny_hot', args: ['iters=1000000'], ops: 2_000_000 },
  // per size: n = 25, 100, 400 -> 20,000 ops each; 1600 -> 7 batches, 22,400; 6400 -> 2 batches, 25,600
  { name: 'batch', args: ['iters=10000'], ops: 5 * (3 * 20_000 + 22_400 + 25_600) },
  { name: 'larson', args: ['seconds=0.5'] },
  { name: 'thread_churn', args: ['seconds=0.5'] },
  { name: 'mid_large_mt', args: ['iters=200000'], ops: 400_000 },
  { name: 'xthread', args: ['iters=300000'], ops: 300_000 },
  { name: 'vm_mixed', args: ['iters=20000'], ops: 20_000 },
  { name: 'large_mixed', args: ['iters=100'], ops: 100 },
  // 4 buffers x (256 linear steps of 4 KiB + 9 doublings 4 KiB .. 1 MiB)
  { name: 'realloc_grow', args: ['max=1048576'], ops: 4 * (256 + 9) },
  { name: 'handoff', args: ['seconds=0.5'] },
  { name: 'exchange', args: ['seconds=0.5', 'threads=4'] },
];

const TARGETS = [{ file: 'glibc (no preload)', path: undefined as string | undefined }, ...LIBS];

describe.sequential.each(TARGETS)('$file', (t) => {
  it.each(SMALL)(
    '$name $args',
    async ({ name, args, ops }) => {
      const r = await run(bin(name), args, { preload: t.path, timeoutMs: 60_000 });
      expectOk(r);
      const res = readResultLine(r.stdout, name);
      if (ops !== undefined) expect(res.ops, describeRun(r)).toBe(ops);
      else expect(res.ops, describeRun(r)).toBeGreaterThan(0);
      expect(res.seconds).toBeGreaterThan(0);
    },
    90_000,
  );
});

describe.sequential.each([TARGETS[0]!, LIBS[1]!])('larson hands over after rounds x chunks: $file', (t) => {
  const THREADS = 2;
  const ROUNDS = 100;
  const CHUNKS = 5000;
  const go = async (name: string) => {
    const r = await run(bin(name), ['seconds=2'], { preload: t.path, timeoutMs: 60_000 });
    expectOk(r);
    const res = readResultLine(r.stdout, name);
    const created = Number(res.extra.threads_created);
    expect(Number.isInteger(created) && created >= THREADS, describeRun(r)).toBe(true);
    return { r, ops: res.ops, created };
  };

  it('larson creates far fewer threads than thread_churn; every thread but the last of a lane did its whole share', async () => {
    const larson = await go('larson');
    const churn = await go('thread_churn');
    // Each lane's threads but its last did exactly their share before the hand-over; the
    // last did at most its share: (created - threads) x share <= ops <= created x share.
    const share = ROUNDS * CHUNKS;
    expect(larson.ops, describeRun(larson.r)).toBeGreaterThanOrEqual((larson.created - THREADS) * share);
    expect(larson.ops, describeRun(larson.r)).toBeLessThanOrEqual(larson.created * share);
    expect(churn.ops, describeRun(churn.r)).toBeGreaterThanOrEqual((churn.created - THREADS) * ROUNDS);
    expect(churn.ops, describeRun(churn.r)).toBeLessThanOrEqual(churn.created * ROUNDS);
    // 2,000 larson threads in 2 s would be 10^9 replacements: out of reach of 2 cores.
    // thread_churn makes thousands of threads a second under every allocator on an idle
    // machine (mimalloc ~3,000/s, glibc ~20,000/s): 1,000 in 2 s leaves room for a loaded one.
    expect(larson.created, describeRun(larson.r)).toBeLessThan(2000);
    expect(churn.created, describeRun(churn.r)).toBeGreaterThan(1000);
    expect(churn.created, `${describeRun(larson.r)}\n${describeRun(churn.r)}`).toBeGreaterThan(5 * larson.created);
  }, 60_000);
});

describe.sequential.each([TARGETS[0]!, LIBS[1]!])('realloc_grow rounds up to max: $file', (t) => {
  it('step=3000 max=100000 count=3: 3 x (34 linear + 7 doubling) reallocs', async () => {
    const r = await run(bin('realloc_grow'), ['step=3000', 'max=100000', 'count=3'], {
      preload: t.path,
      timeoutMs: 30_000,
    });
    expectOk(r);
    expect(readResultLine(r.stdout, 'realloc_grow').ops, describeRun(r)).toBe(3 * (34 + 7));
  }, 30_000);
});

describe.sequential.each([TARGETS[0]!, LIBS[1]!])('handoff and exchange result lines: $file', (t) => {
  it('handoff frees whole batches: ops is a multiple of the batch', async () => {
    const r = await run(bin('handoff'), ['seconds=0.5', 'batch=1000', 'depth=3', 'workers=2', 'size=200'], {
      preload: t.path,
      timeoutMs: 30_000,
    });
    expectOk(r);
    const res = readResultLine(r.stdout, 'handoff');
    expect(res.ops % 1000, describeRun(r)).toBe(0);
    expect(res.ops, describeRun(r)).toBeGreaterThan(0);
  }, 30_000);

  it('exchange reports its peak and final RSS, the peak at least the final and the live set', async () => {
    const r = await run(bin('exchange'), ['seconds=0.5', 'threads=3', 'slots=4096'], {
      preload: t.path,
      timeoutMs: 30_000,
    });
    expectOk(r);
    const res = readResultLine(r.stdout, 'exchange');
    const peak = Number(res.extra.peak_rss_kb);
    const end = Number(res.extra.end_rss_kb);
    expect(Number.isInteger(peak) && Number.isInteger(end), describeRun(r)).toBe(true);
    expect(end, describeRun(r)).toBeGreaterThan(0);
    expect(peak, describeRun(r)).toBeGreaterThanOrEqual(end);
    // 4,096 live blocks of 10 KiB on average, each touched at both ends: well over 8 MiB
    expect(peak, describeRun(r)).toBeGreaterThan(8 * 1024);
  }, 30_000);

  it.each([
    ['handoff', ['workers=0']],
    ['handoff', ['batch=0']],
    ['exchange', ['threads=0']],
    ['exchange', ['slots=0']],
  ])('%s %s: out of range -> usage, exit 2', async (name, args) => {
    const r = await run(bin(name), args, { preload: t.path, timeoutMs: 10_000 });
    expect(r.exitCode, describeRun(r)).toBe(2);
    expect(r.stderr).toMatch(/usage:/);
  });
});

describe.sequential('arguments and soak mode', () => {
  const NAMES = SMALL.map((s) => s.name);

  it.each(NAMES)(
    '%s: unknown key or bad value -> usage on stderr, exit 2',
    async (name) => {
      const unknown = await run(bin(name), ['no_such_key=1'], { timeoutMs: 10_000 });
      expect(unknown.exitCode, describeRun(unknown)).toBe(2);
      expect(unknown.stderr).toMatch(/usage:/);
      const bad = await run(bin(name), ['seconds=banana'], { timeoutMs: 10_000 });
      expect(bad.exitCode, describeRun(bad)).toBe(2);
      expect(bad.stdout).toBe('');
    },
    30_000,
  );

  it.each(NAMES)(
    '%s: seconds=1 epoch=0.25 prints epoch lines, then the result line',
    async (name) => {
      const r = await run(bin(name), ['seconds=1', 'epoch=0.25'], {
        preload: LIBS[0]!.path,
        timeoutMs: 30_000,
      });
      expectOk(r);
      const lines = r.stdout.trim().split('\n');
      const epochs = lines.filter((l) => l.startsWith('epoch='));
      expect(epochs.length, describeRun(r)).toBeGreaterThanOrEqual(3);
      for (const e of epochs) expect(e).toMatch(/^epoch=\d+ ops=\d+ seconds=\d+\.\d+ mops=\d+\.\d+ rss_kb=\d+$/);
      const last = lines[lines.length - 1]!;
      expect(last.startsWith(`${name} `), describeRun(r)).toBe(true);
      const res = readResultLine(r.stdout, name);
      expect(res.seconds).toBeGreaterThanOrEqual(0.9);
      expect(res.ops).toBeGreaterThan(0);
    },
    60_000,
  );
});
