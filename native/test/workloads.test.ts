// The workload programs (native/bench, ../shared/spec/workloads.md) at small sizes: each
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
  parseResultLine,
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
  { name: 'larson', args: ['seconds=0.5'] },
  { name: 'mid_large_mt', args: ['iters=200000'], ops: 400_000 },
  { name: 'vm_mixed', args: ['iters=20000'], ops: 20_000 },
  { name: 'xthread', args: ['iters=300000'], ops: 300_000 },
];

const TARGETS = [{ file: 'glibc (no preload)', path: undefined as string | undefined }, ...LIBS];

describe.sequential.each(TARGETS)('$file', (t) => {
  it.each(SMALL)('$name $args', async ({ name, args, ops }) => {
    const r = await run(bin(name), args, { preload: t.path, timeoutMs: 60_000 });
    expectOk(r);
    const res = parseResultLine(name, r.stdout);
    if (ops !== undefined) expect(res.ops, describeRun(r)).toBe(ops);
    else expect(res.ops, describeRun(r)).toBeGreaterThan(0);
    expect(res.seconds).toBeGreaterThan(0);
  }, 90_000);
});

describe.sequential('arguments and soak mode', () => {
  const NAMES = SMALL.map((s) => s.name);

  it.each(NAMES)('%s: unknown key or bad value -> usage on stderr, exit 2', async (name) => {
    const unknown = await run(bin(name), ['no_such_key=1'], { timeoutMs: 10_000 });
    expect(unknown.exitCode, describeRun(unknown)).toBe(2);
    expect(unknown.stderr).toMatch(/usage:/);
    const bad = await run(bin(name), ['seconds=banana'], { timeoutMs: 10_000 });
    expect(bad.exitCode, describeRun(bad)).toBe(2);
    expect(bad.stdout).toBe('');
  }, 30_000);

  it.each(NAMES)('%s: seconds=1 epoch=0.25 prints epoch lines, then the result line', async (name) => {
    const r = await run(bin(name), ['seconds=1', 'epoch=0.25'], {
      preload: LIBS[0]!.path,
      timeoutMs: 30_000,
    });
    expectOk(r);
    const lines = r.stdout.trim().split('\n');
    const epochs = lines.filter((l) => l.startsWith('epoch='));
    expect(epochs.length, describeRun(r)).toBeGreaterThanOrEqual(3);
    for (const e of epochs)
      expect(e).toMatch(/^epoch=\d+ ops=\d+ seconds=\d+\.\d+ mops=\d+\.\d+ rss_kb=\d+$/);
    const last = lines[lines.length - 1]!;
    expect(last.startsWith(`${name} `), describeRun(r)).toBe(true);
    const res = parseResultLine(name, r.stdout);
    expect(res.seconds).toBeGreaterThanOrEqual(0.9);
    expect(res.ops).toBeGreaterThan(0);
  }, 60_000);
});
