/**
 * `hakmem ab`: two values of a knob, interleaved and paired by round, with a 95 % confidence
 * interval and a verdict. Run-time (env) knobs share one Standard library and differ by
 * environment; build-time (const) knobs get two FAST libraries built from their own
 * generated headers in temporary directories (the main build is not touched).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { markdownTable } from 'markdown-table';
import { Ajv } from 'ajv';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../report/chart.ts';
import { collectContext, readBuildHeader } from '../bench/context.ts';
import { fmt, fmtPct } from '../report/format-table.ts';
import { instructionsTable } from '../report/format-counts.ts';
import { measureInstructions } from '../bench/instructions.ts';
import { KnobError, type KnobSetting, projectConfig, resolveSide } from '../bench/knobs.ts';
import { repoRoot } from '../paths.ts';
import { createProgress } from '../report/progress.ts';
import { failureList, mdTableToHtml, renderReportHtml } from '../report/report-html.ts';
import { runRounds } from '../bench/run-rounds.ts';
import { comparePaired, goThresholdPct, type PairedComparison, type Verdict, verdict } from '../results/stats.ts';
import { mopsByRound } from '../results/summarize.ts';
import type { Allocator, InstructionCount, RunContext, RunnerOptions, RunRecord, WorkloadRun } from '../types.ts';
import { INSTRUCTION_WORKLOADS, selectWorkloads } from '../bench/workloads.ts';
import { presentWorkloads } from '../bench/real-workloads.ts';
import { runsToCsv } from '../results/write-csv.ts';
import { createResultsDir, updateLatest, writeFiles } from '../results/write-results.ts';

export interface AbOptions extends RunnerOptions {
  a: string;
  b: string;
}

export interface AbRow {
  workload: string;
  comparison: PairedComparison | null;
  verdict: Verdict | null;
  failuresA: number;
  failuresB: number;
}

export interface AbResults {
  schema: 'hakmem-ab/1';
  context: RunContext;
  config: {
    a: KnobSetting[];
    b: KnobSetting[];
    kind: 'env' | 'const';
    thresholdPct: number;
    rounds: number;
    quick: boolean;
    workloads: WorkloadRun[];
    libraries: { a: string; b: string };
    /** Build-time A/B: the config hash of each side's generated headers. */
    configHashes?: { a: string | null; b: string | null };
  };
  runs: RunRecord[];
  rows: AbRow[];
  instructions?: (InstructionCount & { side: 'A' | 'B' })[];
}

const abSchema = {
  type: 'object',
  required: ['schema', 'context', 'config', 'runs', 'rows'],
  properties: {
    schema: { const: 'hakmem-ab/1' },
    config: { type: 'object', required: ['a', 'b', 'kind', 'thresholdPct', 'rounds', 'workloads', 'libraries'] },
    runs: { type: 'array', items: { type: 'object', required: ['workload', 'allocator', 'round', 'status'] } },
    rows: {
      type: 'array',
      items: {
        type: 'object',
        required: ['workload', 'comparison', 'verdict', 'failuresA', 'failuresB'],
        properties: { verdict: { enum: ['GO', 'NO-GO', 'NEUTRAL', null] } },
      },
    },
  },
};
export const validateAbResults = new Ajv({ strict: false }).compile(abSchema);

/**
 * Builds a libhakmem.so from a config object into `dir`/out/lib (codegen + make custom): FAST for
 * `hakmem ab`, Standard for `hakmem tune` (whose candidates set run-time knobs too).
 */
export async function buildVariant(
  label: string,
  config: Record<string, unknown>,
  dir: string,
  log: (l: string) => void,
  mode: 'fast' | 'standard' = 'fast',
): Promise<{ lib: string; configHash: string | null }> {
  const cfg = path.join(dir, `${label}.config.ts`);
  const gen = path.join(dir, 'generated');
  const out = path.join(dir, 'out');
  fs.writeFileSync(cfg, `// hakmem ab side ${label}\nexport default ${JSON.stringify(config, null, 2)};\n`);
  log(
    `${mode === 'fast' ? 'ab: building side' : 'tune: building'} ${label} (codegen --mode ${mode}, make custom) in ${dir}`,
  );
  const g = await execa('npm', ['run', '--silent', 'codegen', '--', '--mode', mode, '--config', cfg, '--out', gen], {
    cwd: repoRoot,
    reject: false,
    all: true,
  });
  if (g.exitCode !== 0) throw new Error(`codegen for side ${label} failed:\n${g.all}`);
  const m = await execa(
    'make',
    ['-C', 'native', 'custom', `HAKMEM_GENERATED_DIR=${gen}`, `HAKMEM_OUT=${out}`, `-j${os.availableParallelism()}`],
    {
      cwd: repoRoot,
      reject: false,
      all: true,
    },
  );
  const lib = path.join(out, 'lib', 'libhakmem.so');
  if (m.exitCode !== 0 || !fs.existsSync(lib))
    throw new Error(`make custom for side ${label} failed:\n${String(m.all).split('\n').slice(-20).join('\n')}`);
  const header = path.join(gen, 'hakmem_build.h');
  const configHash = fs.existsSync(header)
    ? (readBuildHeader(fs.readFileSync(header, 'utf8')).HAKMEM_CONFIG_HASH ?? null)
    : null;
  return { lib, configHash };
}

const describe = (s: readonly KnobSetting[]) =>
  s.map((k) => `${k.path}=${Array.isArray(k.value) ? k.value.join(';') : k.value}`).join(', ');

export function abTable(rows: readonly AbRow[], a: string, b: string): string {
  return (
    markdownTable(
      [
        ['workload', `A mean`, `A median`, `B mean`, `B median`, 'Δ B vs A', '95% CI', 'n', 'verdict'],
        ...rows.map((r) => {
          const c = r.comparison;
          const fails = r.failuresA + r.failuresB ? ` (${r.failuresA}/${r.failuresB} failed)` : '';
          return [
            r.workload,
            fmt(c?.meanA),
            fmt(c?.medianA),
            fmt(c?.meanB),
            fmt(c?.medianB),
            c ? `${c.deltaPct >= 0 ? '+' : ''}${c.deltaPct.toFixed(2)}%` : '–',
            c && Number.isFinite(c.ciLowPct) ? `[${c.ciLowPct.toFixed(2)}%, ${c.ciHighPct.toFixed(2)}%]` : '–',
            String(c?.n ?? 0),
            `${r.verdict ?? 'NO DATA'}${fails}`,
          ];
        }),
      ],
      { align: ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'] },
    ) + `\n\nA = ${a}\nB = ${b}\n(M ops/s; Δ and CI from per-round paired differences B/A − 1, t-distribution)`
  );
}

export function abChartSpec(rows: readonly AbRow[], threshold: number): TopLevelSpec {
  const values = rows
    .filter((r) => r.comparison)
    .map((r) => {
      const c = r.comparison!;
      const finite = Number.isFinite(c.ciLowPct);
      return {
        workload: r.workload,
        delta: c.deltaPct,
        lo: finite ? c.ciLowPct : c.deltaPct,
        hi: finite ? c.ciHighPct : c.deltaPct,
        verdict: r.verdict,
      };
    });
  const y = { field: 'workload', type: 'nominal', sort: null, title: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'A/B: throughput of B relative to A',
      subtitle: `mean paired Δ% with 95% CI; GO needs CI > 0 and Δ ≥ ${threshold}%`,
    },
    width: 520,
    height: { step: 34 },
    data: { values },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: { y, x: { field: 'lo', type: 'quantitative', title: 'Δ % (B vs A)' }, x2: { field: 'hi' } },
      },
      {
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          y,
          x: { field: 'delta', type: 'quantitative' },
          color: {
            field: 'verdict',
            type: 'nominal',
            scale: { domain: ['GO', 'NEUTRAL', 'NO-GO'], range: ['#2f7d32', '#888888', '#c62828'] },
          },
        },
      },
      { mark: { type: 'rule', color: '#555', strokeDash: [4, 3] }, encoding: { x: { datum: 0 } } },
    ],
    config: { font: 'sans-serif', view: { stroke: null } },
  } as TopLevelSpec;
}

export async function runAb(o: AbOptions): Promise<{ dir: string; table: string; results: AbResults }> {
  const base = await projectConfig();
  const sides = await Promise.allSettled([resolveSide('--a', o.a, base), resolveSide('--b', o.b, base)]);
  const bad = sides.flatMap((s) => (s.status === 'rejected' ? [(s.reason as Error).message] : []));
  if (bad.length) throw new KnobError(bad.join('\n'));
  const [sa, sb] = sides.map((s) => (s as PromiseFulfilledResult<Awaited<ReturnType<typeof resolveSide>>>).value) as [
    Awaited<ReturnType<typeof resolveSide>>,
    Awaited<ReturnType<typeof resolveSide>>,
  ];
  const kind: 'env' | 'const' = [...sa.settings, ...sb.settings].some((s) => s.scope === 'const') ? 'const' : 'env';
  const threshold = goThresholdPct(kind);
  const specs = presentWorkloads(selectWorkloads(o.workloads), o.log);
  const workloads = specs.map((w) => ({ name: w.name, args: o.quick ? w.quick : w.full }));
  const tmp = kind === 'const' ? fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-ab-')) : null;
  try {
    let allocators: Allocator[];
    let configHashes: { a: string | null; b: string | null } | undefined;
    if (kind === 'env') {
      const lib = path.join(o.libDir, 'libhakmem.so');
      if (!fs.existsSync(lib)) throw new Error(`${lib} (Standard) is not built; run npm run build or drop --no-build`);
      const env = (s: KnobSetting[]) => Object.fromEntries(s.map((k) => [k.env, k.envValue]));
      allocators = [
        { name: 'A', preload: lib, env: env(sa.settings) },
        { name: 'B', preload: lib, env: env(sb.settings) },
      ];
      o.log(
        `ab: run-time knobs on ${lib}: A ${JSON.stringify(allocators[0]!.env)} B ${JSON.stringify(allocators[1]!.env)}`,
      );
    } else {
      const la = await buildVariant('A', sa.config, fs.mkdtempSync(path.join(tmp!, 'A-')), o.log);
      const lb = await buildVariant('B', sb.config, fs.mkdtempSync(path.join(tmp!, 'B-')), o.log);
      allocators = [
        { name: 'A', preload: la.lib },
        { name: 'B', preload: lb.lib },
      ];
      configHashes = { a: la.configHash, b: lb.configHash };
    }
    const context = await collectContext(kind === 'env' ? [allocators[0]!] : []);
    const progress = createProgress({ tty: o.tty });
    let runs: RunRecord[];
    try {
      runs = await runRounds({
        binDir: o.binDir,
        workloads,
        allocators,
        rounds: o.runs,
        timeoutSeconds: o.timeoutSeconds,
        onStart: (e) => progress.start(e),
        onDone: (e, r) => progress.done(e, r),
      });
    } finally {
      progress.stop();
    }
    const rows: AbRow[] = workloads.map((w) => {
      const ma = mopsByRound(runs, w.name, 'A', o.runs);
      const mb = mopsByRound(runs, w.name, 'B', o.runs);
      const comparison = comparePaired(ma, mb);
      const fails = (side: string) =>
        runs.filter((r) => r.workload === w.name && r.allocator === side && r.status !== 'ok').length;
      return {
        workload: w.name,
        comparison,
        verdict: comparison ? verdict(comparison, threshold) : null,
        failuresA: fails('A'),
        failuresB: fails('B'),
      };
    });
    const results: AbResults = {
      schema: 'hakmem-ab/1',
      context,
      config: {
        a: sa.settings,
        b: sb.settings,
        kind,
        thresholdPct: threshold,
        rounds: o.runs,
        quick: o.quick,
        workloads,
        libraries: { a: allocators[0]!.preload!, b: allocators[1]!.preload! },
        ...(configHashes ? { configHashes } : {}),
      },
      runs,
      rows,
    };
    if (o.instructions) {
      const ws = specs.filter((w) => INSTRUCTION_WORKLOADS.includes(w.name));
      o.log('ab: callgrind instructions/op ...');
      const counts = await measureInstructions({
        binDir: o.binDir,
        workloads: ws,
        allocators,
        quick: o.quick,
        log: o.log,
      });
      results.instructions = counts.map((c) => ({ ...c, side: c.allocator as 'A' | 'B' }));
    }
    if (!validateAbResults(results))
      throw new Error(`A/B results do not match their schema: ${JSON.stringify(validateAbResults.errors)}`);

    const table = abTable(rows, describe(sa.settings), describe(sb.settings));
    const head = `${kind === 'env' ? 'run-time (env) knobs, one Standard build' : 'build-time (const) knobs, two FAST builds'}; ${o.runs} interleaved rounds; GO threshold +${threshold}%`;
    const chart = await renderSvg(abChartSpec(rows, threshold));
    const instr = results.instructions
      ? `\n\n## Instructions per operation (callgrind)\n\n${instructionsTable(results.instructions)}\n`
      : '';
    const summaryMd = `# hakmem ab ${context.date.slice(0, 19)}Z\n\n${head}\n\n${table}${instr}\n`;
    const html = renderReportHtml({
      title: `hakmem ab ${context.date.slice(0, 19)}Z`,
      intro: [head, `A = ${describe(sa.settings)}`, `B = ${describe(sb.settings)}`],
      table: {
        header: ['workload', 'verdict', 'A mean', 'A median', 'B mean', 'B median', 'Δ %', '95% CI', 'n'],
        rows: rows.map((r) => ({
          best: r.verdict === 'GO',
          failed: r.failuresA + r.failuresB > 0,
          cells: [
            r.workload,
            r.verdict ?? 'NO DATA',
            fmt(r.comparison?.meanA),
            fmt(r.comparison?.medianA),
            fmt(r.comparison?.meanB),
            fmt(r.comparison?.medianB),
            r.comparison ? fmtPct(r.comparison.deltaPct / 100, 2) : '–',
            r.comparison && Number.isFinite(r.comparison.ciLowPct)
              ? `[${r.comparison.ciLowPct.toFixed(2)}%, ${r.comparison.ciHighPct.toFixed(2)}%]`
              : '–',
            String(r.comparison?.n ?? 0),
          ],
        })),
      },
      charts: [{ name: 'chart-ab.svg', svg: chart }],
      context: {
        ...context,
        kind,
        thresholdPct: threshold,
        rounds: o.runs,
        ...(configHashes ? { configHashA: configHashes.a, configHashB: configHashes.b } : {}),
      },
      failures: failureList(runs),
      extraSections: results.instructions
        ? [
            {
              title: 'Instructions per operation (callgrind)',
              html: mdTableToHtml(instructionsTable(results.instructions)),
            },
          ]
        : [],
    });
    const dir = createResultsDir(o.outDir, 'ab-');
    writeFiles(dir, {
      'results.json': `${JSON.stringify(results, null, 2)}\n`,
      'results.csv': runsToCsv(runs),
      'summary.md': summaryMd,
      'report.html': html,
      'chart-ab.svg': chart,
    });
    updateLatest(o.outDir, dir, 'latest-ab');
    return { dir, table, results };
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}
