/**
 * End-to-end: the `hakmem` command as a user runs it, against the real workload programs and
 * libraries in dist/native (built by `npm run build`, or here when missing), plus report.html
 * in headless Chromium. No assertion depends on speed (these run on a loaded 2-core machine).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { XMLValidator } from 'fast-xml-parser';
import { parse as parseCsv } from 'csv-parse/sync';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { buildNative } from './bench/build-native.ts';
import { defaultBinDir, defaultLibDir, repoRoot, toolsDir } from './paths.ts';
import { assertBenchResults } from './results/results-schema.ts';
import { validateAbResults } from './commands/ab.ts';
import { CSV_COLUMNS } from './results/write-csv.ts';

// The root vitest config's 120 s defaults are too tight when beforeAll has to build first.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 900_000 });

const bin = path.join(toolsDir, 'bin', 'hakmem.mjs');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-e2e-'));
const artifacts = path.join(repoRoot, 'test-artifacts');
const CHROMIUM = process.env.HAKMEM_CHROMIUM ?? '/usr/bin/chromium';

function hakmem(args: string[]) {
  return execa('node', [bin, ...args, '--no-build', '--out', out, '--progress', 'lines'], {
    cwd: repoRoot,
    reject: false,
    all: true,
    env: { CI: 'true' },
  });
}

beforeAll(async () => {
  const needed = [
    path.join(defaultBinDir, 'random_mixed'),
    path.join(defaultBinDir, 'tiny_hot'),
    path.join(defaultLibDir, 'libhakmem-fast.so'),
    path.join(defaultLibDir, 'libhakmem.so'),
  ];
  if (needed.some((f) => !fs.existsSync(f))) await buildNative({ quiet: true });
});

describe('hakmem --help', () => {
  it('lists the commands', async () => {
    const r = await execa('node', [bin, '--help'], { cwd: repoRoot });
    for (const c of ['bench', 'ab', 'profile', 'soak', 'table', 'compare', 'peers']) expect(r.stdout).toContain(c);
  });
});

describe('hakmem bench --quick', () => {
  let dir = '';
  let stdout = '';

  it('runs the matrix and prints the table and the report path', async () => {
    const r = await hakmem([
      'bench',
      '--quick',
      '--allocators',
      'glibc,hakmem-fast',
      '--workloads',
      'random_mixed,tiny_hot',
      '--stats',
    ]);
    expect(r.exitCode, r.all).toBe(0);
    stdout = r.stdout;
    expect(r.stderr).toMatch(/^ {2}tiny_hot: \d+ classes in use, \d+ hits, \d+ misses \(\d+\.\d% hit rate\)$/m);
    expect(r.stderr).toMatch(/\[1\/4\] random_mixed glibc round 1\/1: .* \| elapsed \S+ eta \S+/);
    expect(stdout).toMatch(/\| random_mixed +\| .*glibc/);
    expect(stdout).toMatch(/\| tiny_hot +\| .*hakmem-fast/);
    const m = stdout.match(/^report: (.+report\.html)$/m);
    expect(m).not.toBeNull();
    dir = path.dirname(m![1]!);
    expect(fs.realpathSync(path.join(out, 'latest'))).toBe(fs.realpathSync(dir));
  });

  it('writes every output file with plausible contents', () => {
    for (const f of [
      'results.json',
      'results.csv',
      'summary.md',
      'report.html',
      'chart-overview.svg',
      'chart-random_mixed.svg',
      'chart-tiny_hot.svg',
    ]) {
      expect(fs.existsSync(path.join(dir, f)), f).toBe(true);
    }
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    assertBenchResults(json);
    expect(json.schema).toBe('hakmem-bench/3');
    expect(json.runs).toHaveLength(4);
    expect(json.config.baseline).toBe('glibc');
    expect(json.config.workloads.map((w: { rounds: number }) => w.rounds)).toEqual([1, 1]);
    expect(json.config.mtRounds).toBe(1);
    for (const r of json.runs) {
      expect(r.status, JSON.stringify(r)).toBe('ok');
      expect(r.result!.mops).toBeGreaterThan(0);
      expect(r.result!.ops).toBeGreaterThan(0);
      expect(r.maxRssKb).toBeGreaterThan(100);
      expect(r.maxRssKb).toBeLessThan(4 * 1024 * 1024);
      expect(r.wallSeconds).toBeGreaterThan(0);
    }
    expect(json.context.nproc).toBeGreaterThan(0);
    expect(json.context.hakmem['hakmem-fast']!.mode).toBe('fast');
    expect(json.context.hakmem['hakmem-fast']!.configHash).toMatch(/^[0-9a-f]{16}$/);
    const glibcRow = json.summary.find(
      (s: { allocator: string; workload: string }) => s.allocator === 'glibc' && s.workload === 'tiny_hot',
    );
    expect(glibcRow!.ratioToGlibc).toBe(1);
    // one round: no interval, so no verdict
    expect(glibcRow!.ratioToGlibcCi).toBeNull();
    expect(json.summary.every((s: { verdict: unknown; best: boolean }) => s.verdict === null && !s.best)).toBe(true);
    // one verdict per workload: hakmem-fast against glibc, the only peer, with no interval from one round
    expect(json.verdicts).toEqual([
      expect.objectContaining({
        workload: 'random_mixed',
        hakmem: 'hakmem-fast',
        peer: 'glibc',
        n: 1,
        ci: null,
        verdict: null,
      }),
      expect.objectContaining({
        workload: 'tiny_hot',
        hakmem: 'hakmem-fast',
        peer: 'glibc',
        n: 1,
        ci: null,
        verdict: null,
      }),
    ]);
    // --stats: one OBSERVE report per workload; tiny_hot's 1,000,000 mallocs of 64 bytes are hits or misses of that class
    expect(json.stats!.map((s) => s.workload)).toEqual(['random_mixed', 'tiny_hot']);
    const tiny = json.stats![1]!.report!;
    expect(tiny, JSON.stringify(json.stats![1])).not.toBeNull();
    expect(tiny.mode).toBe('observe');
    const row = tiny.classes.find((c) => c.size === 64)!;
    expect(row.hits! + row.misses!).toBeGreaterThanOrEqual(1_000_000);
    expect(tiny.boxes['unified-cache']!.refills).toBeGreaterThan(0);
    const csv = fs.readFileSync(path.join(dir, 'results.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe(CSV_COLUMNS.join(','));
    expect(parseCsv(csv, { columns: true })).toHaveLength(4);
    const md = fs.readFileSync(path.join(dir, 'summary.md'), 'utf8');
    expect(md).toContain('| workload');
    expect(md).toMatch(/\| verdict \|/);
    expect(md).toMatch(/\| +1\.000 \[–\] \|/);
    expect(md).toContain('Verdict: the best hakmem build');
    expect(md).toMatch(
      /\| workload +\| verdict +\| best hakmem build +\| best peer +\| hakmem \/ peer \[95% CI\] +\| Standard \/ FAST \[95% CI\] +\|/,
    );
    expect(md).toMatch(/## OBSERVE counters[\s\S]*\| tiny_hot \| \d+ \| \d+ \| \d+ \| \d+\.\d% \|/);
    for (const svg of fs.readdirSync(dir).filter((f) => f.endsWith('.svg'))) {
      expect(XMLValidator.validate(fs.readFileSync(path.join(dir, svg), 'utf8')), svg).toBe(true);
    }
  });

  it('shows the table and the charts in headless Chromium', async () => {
    expect(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-chromium-'));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1200, height: 900 },
    });
    try {
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (req) => {
        if (!req.url().startsWith('file:')) requests.push(req.url());
      });
      await page.goto(`file://${path.join(dir, 'report.html')}`);
      await expect.poll(() => page.locator('#results tbody tr').count()).toBe(4);
      expect(await page.locator('#results tbody tr.best').count()).toBe(0); // --quick: one round, no verdict
      expect(await page.locator('#results').innerText()).toMatch(/random_mixed[\s\S]*hakmem-fast/);
      const charts = page.locator('figure.chart svg');
      expect(await charts.count()).toBe(3);
      const box = await charts.first().boundingBox();
      expect(box!.width).toBeGreaterThan(100);
      expect(box!.height).toBeGreaterThan(100);
      expect(
        await page.locator('figure.chart svg .mark-rect path, figure.chart svg .mark-rect rect').count(),
      ).toBeGreaterThan(0);
      expect(requests).toEqual([]);
      fs.mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: path.join(artifacts, 'bench-report.png'), fullPage: true });
      expect(fs.statSync(path.join(artifacts, 'bench-report.png')).size).toBeGreaterThan(10_000);
    } finally {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    }
  });
});

describe('hakmem bench round counts', () => {
  it('refuses --mt-runs below 9 without --allow-few-mt-runs', async () => {
    const r = await hakmem(['bench', '--mt-runs', '3', '--allocators', 'glibc', '--workloads', 'xthread']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--mt-runs 3 is below');
    expect(r.stderr).toContain('--allow-few-mt-runs');
  });
  it('runs threaded workloads for --mt-runs rounds and single-threaded ones for --runs', async () => {
    const r = await hakmem([
      'bench',
      '--runs',
      '2',
      '--mt-runs',
      '3',
      '--allow-few-mt-runs',
      '--allocators',
      'glibc,hakmem-fast',
      '--workloads',
      'tiny_hot,xthread',
    ]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr).toContain('2 rounds: tiny_hot; 3 rounds: xthread');
    const dir = path.dirname(r.stdout.match(/^report: (.+)$/m)![1]!);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    assertBenchResults(json);
    expect(json.config).toMatchObject({ rounds: 2, mtRounds: 3 });
    expect(json.config.workloads).toMatchObject([
      { name: 'tiny_hot', rounds: 2, threaded: false },
      { name: 'xthread', rounds: 3, threaded: true },
    ]);
    expect(json.runs).toHaveLength(2 * 2 + 3 * 2);
    const row = json.summary.find((s) => s.workload === 'xthread' && s.allocator === 'hakmem-fast')!;
    expect(row.runs).toBe(3);
    expect(row.ratioToGlibcCi).toHaveLength(2);
    expect(row.ratioToGlibcCi![0]).toBeLessThanOrEqual(row.ratioToGlibc!);
    expect(r.stdout).toMatch(
      /\| xthread +\| hakmem-fast +\| +(★|tie|behind)? +\| .*\d\.\d{3} \[\d+\.\d\d–\d+\.\d\d\] \|.*\| +3 ok \|/,
    );

    // hakmem table: the same table from the file, under its provenance line
    const t = await execa('node', [bin, 'table', path.join(dir, 'results.json'), '--workloads', 'xthread'], {
      cwd: repoRoot,
      reject: false,
    });
    expect(t.exitCode, t.stderr).toBe(0);
    expect(t.stdout.split('\n')[0]).toMatch(
      /^Source: .*results\.json · git [0-9a-f]{12}.* · hakmem: hakmem-fast fast\/\S+ config [0-9a-f]{16} · 3 rounds: xthread · /,
    );
    // the same rows (column widths differ: fewer rows)
    const xthreadRows = (text: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith('| xthread'))
        .map((l) => l.replace(/ +/g, ' '));
    expect(xthreadRows(t.stdout)).toEqual(xthreadRows(r.stdout));
    const missing = await execa('node', [bin, 'table', path.join(dir, 'nope.json')], { cwd: repoRoot, reject: false });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    fs.writeFileSync(path.join(out, 'notjson.json'), 'nope');
    const bad = await execa('node', [bin, 'table', path.join(out, 'notjson.json')], { cwd: repoRoot, reject: false });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/is not JSON/);
  });
});

describe('hakmem bench with Scudo', () => {
  it('runs Scudo as a peer, and skips it on realloc_grow with one line', async () => {
    const r = await hakmem(['bench', '--quick', '--allocators', 'glibc,scudo', '--workloads', 'tiny_hot,realloc_grow']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr.match(/^note: scudo skipped on realloc_grow: .+$/gm)).toHaveLength(1);
    expect(r.stdout).toMatch(/\| tiny_hot +\| scudo +\| +\| +\d+\.\d\d \|.*\| 1 ok \|/);
    expect(r.stdout).not.toMatch(/\| realloc_grow +\| scudo /);
    const dir = path.dirname(r.stdout.match(/^report: (.+)$/m)![1]!);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    assertBenchResults(json);
    expect(json.runs.map((x: { workload: string; allocator: string }) => `${x.workload} ${x.allocator}`)).toEqual([
      'tiny_hot glibc',
      'tiny_hot scudo',
      'realloc_grow glibc',
    ]);
    expect(json.config.skipped).toEqual([
      { workload: 'realloc_grow', allocator: 'scudo', reason: expect.stringMatching(/Scudo moves the buffer/) },
    ]);
    expect(json.context.peers['libclang-rt-14-dev']).toMatch(/^1:14\./);
    const t = await execa('node', [bin, 'table', path.join(dir, 'results.json')], { cwd: repoRoot, reject: false });
    expect(t.stdout).toContain('Not run: scudo on realloc_grow (Scudo moves the buffer');
  });
});

describe('hakmem bench with a crashing allocator', () => {
  it('reports the crash in the table and the JSON instead of dropping it', async () => {
    const src = path.join(out, 'crash.c');
    const so = path.join(out, 'libcrash.so');
    fs.writeFileSync(src, '#include <stdlib.h>\n__attribute__((constructor)) static void boom(void) { abort(); }\n');
    await execa('cc', ['-shared', '-fPIC', '-o', so, src]);
    const r = await hakmem([
      'bench',
      '--quick',
      '--allocators',
      'glibc',
      '--lib',
      `crashy=${so}`,
      '--workloads',
      'tiny_hot',
    ]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/\| tiny_hot +\| crashy +\| +\| +– \|.*1\/1 CRASHED/);
    expect(r.stderr).toContain('CRASHED (SIGABRT)');
    const dir = path.dirname(r.stdout.match(/^report: (.+)$/m)![1]!);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    const crashed = json.runs.find((x: { allocator: string }) => x.allocator === 'crashy');
    expect(crashed).toMatchObject({ status: 'crashed', signal: 6, result: null });
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain('crashed (SIGABRT)');
    const strict = await hakmem([
      'bench',
      '--quick',
      '--strict',
      '--allocators',
      'glibc',
      '--lib',
      `crashy=${so}`,
      '--workloads',
      'tiny_hot',
    ]);
    expect(strict.exitCode).toBe(1);
  });
});

describe('hakmem ab', () => {
  it('compares a run-time knob through the environment on the Standard build', async () => {
    const r = await hakmem([
      'ab',
      '--a',
      'unifiedCache.capacity=64',
      '--b',
      'unifiedCache.capacity=128',
      '--workloads',
      'tiny_hot',
      '--runs',
      '3',
      '--quick',
    ]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr).toContain('HAKMEM_UNIFIED_CACHE_CAPACITY');
    expect(r.stdout).toMatch(/\| tiny_hot +\|.*\| +3 \| (GO|NO-GO|NEUTRAL)/);
    const dir = path.dirname(r.stdout.match(/^report: (.+)$/m)![1]!);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    expect(validateAbResults(json)).toBe(true);
    expect(json.config.kind).toBe('env');
    expect(json.config.thresholdPct).toBe(1);
    expect(json.config.libraries.a).toBe(path.join(defaultLibDir, 'libhakmem.so'));
    expect(json.runs.map((x: { allocator: string }) => x.allocator)).toEqual(['A', 'B', 'A', 'B', 'A', 'B']);
    const row = json.rows[0];
    expect(row.comparison.n).toBe(3);
    expect(row.comparison.ciLowPct).toBeLessThanOrEqual(row.comparison.deltaPct);
    for (const f of ['results.csv', 'summary.md', 'report.html', 'chart-ab.svg'])
      expect(fs.existsSync(path.join(dir, f)), f).toBe(true);
  });

  it('compares a build-time knob with two FAST builds made in temporary directories', async () => {
    const r = await hakmem([
      'ab',
      '--a',
      'front.midClassesPerDoubling=4',
      '--b',
      'front.midClassesPerDoubling=2',
      '--workloads',
      'mid_large_mt',
      '--runs',
      '2',
      '--quick',
    ]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/\| mid_large_mt +\|.*\| (GO|NO-GO|NEUTRAL)/);
    const dir = path.dirname(r.stdout.match(/^report: (.+)$/m)![1]!);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    expect(json.config.kind).toBe('const');
    expect(json.config.thresholdPct).toBe(0.5);
    expect(json.config.libraries.a).not.toBe(json.config.libraries.b);
    expect(json.config.configHashes.a).toMatch(/^[0-9a-f]{16}$/);
    expect(json.config.configHashes.a).not.toBe(json.config.configHashes.b);
    expect(json.runs.every((x: { status: string }) => x.status === 'ok')).toBe(true);
  });

  it("refuses an invalid knob with codegen's message", async () => {
    const r = await hakmem(['ab', '--a', 'unifiedCache.capacty=64', '--b', 'unifiedCache.capacity=0']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('unknown key unifiedCache.capacty');
    expect(r.stderr).toContain('unifiedCache.capacity = 0 must be in [1, 65535]');
  });
});

describe('hakmem soak', () => {
  it('runs one process in epochs and reports drift and percentiles', async () => {
    const r = await hakmem([
      'soak',
      '--workload',
      'random_mixed',
      '--allocator',
      'hakmem-fast',
      '--minutes',
      '0.05',
      '--epoch',
      '1',
    ]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('RSS drift');
    const dir = path.dirname(r.stdout.match(/^report: (.+)$/m)![1]!);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    expect(json.status).toBe('ok');
    expect(json.epochs.length).toBeGreaterThanOrEqual(2);
    expect(json.stats.rssDrift).not.toBeNull();
    expect(json.stats.nsPerOp.p50).toBeGreaterThan(0);
    expect(XMLValidator.validate(fs.readFileSync(path.join(dir, 'chart-soak.svg'), 'utf8'))).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'results.csv'), 'utf8').split('\n')[0]).toBe('epoch,ops,seconds,mops,rss_kb');
  });

  it('runs a variant with its keys added (exchange:threads=4), and refuses keys that are its own', async () => {
    const r = await hakmem(['soak', '--workload', 'exchange:threads=4', '--minutes', '0.05', '--epoch', '1']);
    expect(r.exitCode, r.all).toBe(0);
    const dir = path.dirname(r.stdout.match(/^report: (.+)$/m)![1]!);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    expect(json.status).toBe('ok');
    expect(json.config.argv[0]).toBe('threads=4');
    expect(json.config.workload).toBe('exchange:threads=4');
    expect(json.epochs.length).toBeGreaterThanOrEqual(2);
    const bad = await hakmem(['soak', '--workload', 'exchange:seconds=9', '--minutes', '0.05']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('soak sets seconds and epoch itself');
    const unknown = await hakmem(['soak', '--workload', 'exchange:threads=x']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('is not key=<number>');
  });
});
