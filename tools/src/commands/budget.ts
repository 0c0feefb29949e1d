/**
 * The instruction budget (issue 25): the marginal instructions per operation of FAST and
 * Standard on random_mixed, tiny_hot, batch and mid_large_mt on one thread,
 * (Ir(2n) − Ir(n)) / (ops(2n) − ops(n)) under callgrind (instructions.ts), are deterministic: the
 * same binary on the same inputs counts the same, whatever else the machine is doing. They are
 * committed in native/budgets.json with the git SHA, compiler and valgrind they were measured
 * with; `npm test` (budget.test.ts) fails when one grows by more than 2 % over it. A change that
 * costs instructions on purpose updates the file in the same commit (`npx hakmem budget
 * --update`), so the diff shows the cost to a reviewer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { execa } from 'execa';
import { markdownTable } from 'markdown-table';
import { measureInstructions } from '../bench/instructions.ts';
import { defaultBinDir, defaultLibDir, repoRoot } from '../paths.ts';
import type { Allocator, InstructionCount } from '../types.ts';
import { UsageError, workloadSpec } from '../bench/workloads.ts';

export const BUDGET_FILE = path.join(repoRoot, 'native', 'budgets.json');
export const BUDGET_SCHEMA = 'hakmem-instruction-budget/1';
/** A figure may grow by this fraction over its budget before the check fails. */
export const BUDGET_TOLERANCE = 0.02;
export const UPDATE_COMMAND = 'npx hakmem budget --update';

/**
 * The workloads and their n (the run at n and the run at 2n). Small enough that all sixteen
 * callgrind runs take well under a minute on a loaded 2-core machine, large enough that start-up
 * cancels: random_mixed and tiny_hot give the same figure to 0.1 instruction at ten times these
 * sizes. batch runs whole batches at n and 2n (6,400 is a multiple of every batch size), so the
 * two runs do the same mix of pairs.
 */
export const BUDGET_SIZES: readonly { workload: string; n: number }[] = [
  { workload: 'random_mixed', n: 100_000 },
  { workload: 'tiny_hot', n: 100_000 },
  { workload: 'batch', n: 6_400 },
  // the mid classes' pop (1 KiB to 256 KiB; front.c, hk_alloc_slow) on one thread: deterministic,
  // where two threads' counts vary by about 0.6 % between runs
  { workload: 'mid_large_mt:threads=1', n: 50_000 },
];

/** The builds under budget: FAST and Standard, by their names in `hakmem bench`. */
export const BUDGET_BUILDS: readonly { allocator: string; file: string }[] = [
  { allocator: 'hakmem-fast', file: 'libhakmem-fast.so' },
  { allocator: 'hakmem', file: 'libhakmem.so' },
];

export interface BudgetEntry {
  workload: string;
  allocator: string;
  /** The size parameter at the smaller run (the other is 2n). */
  n: number;
  /** Marginal instructions per operation. */
  perOp: number;
  irAtN: number;
  irAt2N: number;
  opsAtN: number;
  opsAt2N: number;
}

export interface BudgetFile {
  schema: typeof BUDGET_SCHEMA;
  /** How to read the file and how to change it. */
  note: string;
  tolerance: number;
  measured: {
    gitSha: string;
    gitDirty: boolean | null;
    date: string;
    compiler: string;
    valgrind: string;
    cpuModel: string;
  };
  budgets: BudgetEntry[];
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile({
  type: 'object',
  required: ['schema', 'tolerance', 'measured', 'budgets'],
  properties: {
    schema: { const: BUDGET_SCHEMA },
    tolerance: { type: 'number', exclusiveMinimum: 0 },
    measured: {
      type: 'object',
      required: ['gitSha', 'compiler', 'valgrind'],
      properties: { gitSha: { type: 'string' }, compiler: { type: 'string' }, valgrind: { type: 'string' } },
    },
    budgets: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['workload', 'allocator', 'n', 'perOp'],
        properties: {
          workload: { type: 'string' },
          allocator: { type: 'string' },
          n: { type: 'integer', minimum: 1 },
          perOp: { type: 'number', exclusiveMinimum: 0 },
        },
      },
    },
  },
});

/** A budget file that cannot be used, naming what is wrong. */
export class BudgetFileError extends Error {
  override name = 'UsageError';
}

export function parseBudget(text: string, source: string): BudgetFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new BudgetFileError(`${source} is not JSON: ${(e as Error).message}`);
  }
  if (!validate(data))
    throw new BudgetFileError(
      `${source} is not an instruction budget (${BUDGET_SCHEMA}): ${ajv.errorsText(validate.errors)}; rewrite it with ${UPDATE_COMMAND}`,
    );
  return data as BudgetFile;
}

export function readBudget(file = BUDGET_FILE): BudgetFile {
  if (!fs.existsSync(file)) throw new BudgetFileError(`${file}: no such file; write it with ${UPDATE_COMMAND}`);
  return parseBudget(fs.readFileSync(file, 'utf8'), path.relative(repoRoot, file) || file);
}

/** This process's environment without any HAKMEM_* variable: the builds are measured at their defaults. */
export function cleanEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('HAKMEM_')));
}

/** Runs the callgrind counts: every (workload, n) for every allocator, two at a time (one per core). */
export async function measureBudget(o: {
  allocators: readonly Allocator[];
  sizes?: readonly { workload: string; n: number }[];
  binDir?: string;
  log?: (line: string) => void;
}): Promise<BudgetEntry[]> {
  const sizes = o.sizes ?? BUDGET_SIZES;
  const jobs = sizes.flatMap((s) => o.allocators.map((a) => ({ s, a })));
  const results: InstructionCount[][] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      const { s, a } = jobs[i]!;
      const w = workloadSpec(s.workload);
      results[i] = await measureInstructions({
        binDir: o.binDir ?? defaultBinDir,
        workloads: [{ ...w, scale: { ...w.scale, n: s.n } }], // a variant's key=value args are in w.full
        allocators: [a],
        quick: false,
        env: cleanEnv(),
        log: o.log,
      });
    }
  };
  await Promise.all([worker(), worker()]);
  return results.flat().map((c) => {
    if (c.perOp == null) throw new Error(`instruction count of ${c.workload} under ${c.allocator} failed: ${c.error}`);
    return {
      workload: c.workload,
      allocator: c.allocator,
      n: c.n,
      perOp: c.perOp,
      irAtN: c.irAtN,
      irAt2N: c.irAt2N,
      opsAtN: c.opsAtN,
      opsAt2N: c.opsAt2N,
    };
  });
}

/** FAST and Standard from a library directory (dist/native/lib by default). */
export function budgetAllocators(libDir = defaultLibDir): Allocator[] {
  return BUDGET_BUILDS.map((b) => {
    const p = path.join(libDir, b.file);
    if (!fs.existsSync(p)) throw new UsageError(`${p} is not built (run npm run build)`);
    return { name: b.allocator, preload: p };
  });
}

export interface BudgetCheckRow {
  workload: string;
  allocator: string;
  n: number;
  budget: number;
  measured: number | null;
  /** measured / budget − 1. */
  change: number | null;
  over: boolean;
}

export interface BudgetCheck {
  rows: BudgetCheckRow[];
  ok: boolean;
}

/** Each budget entry against its measurement (same workload, allocator and n). A missing measurement fails. */
export function checkBudget(budget: BudgetFile, measured: readonly BudgetEntry[]): BudgetCheck {
  const rows = budget.budgets.map((b) => {
    const m = measured.find((x) => x.workload === b.workload && x.allocator === b.allocator && x.n === b.n);
    const change = m ? m.perOp / b.perOp - 1 : null;
    return {
      workload: b.workload,
      allocator: b.allocator,
      n: b.n,
      budget: b.perOp,
      measured: m?.perOp ?? null,
      change,
      over: change == null || change > budget.tolerance,
    };
  });
  return { rows, ok: rows.every((r) => !r.over) };
}

/** The budget, the measurement and the verdict per row; on failure, what to do. */
export function budgetReport(budget: BudgetFile, check: BudgetCheck, source = 'native/budgets.json'): string {
  const pct = (x: number | null) =>
    x == null ? '–' : Math.abs(x) < 5e-5 ? '0.00 %' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} %`;
  const table = markdownTable(
    [
      ['workload', 'build', 'n', 'budget (instructions / op)', 'measured', 'change', ''],
      ...check.rows.map((r) => [
        r.workload,
        r.allocator,
        String(r.n),
        r.budget.toFixed(2),
        r.measured == null ? 'not measured' : r.measured.toFixed(2),
        pct(r.change),
        r.over ? 'OVER BUDGET' : 'ok',
      ]),
    ],
    { align: ['l', 'l', 'r', 'r', 'r', 'r', 'l'] },
  );
  const m = budget.measured;
  const head = `Instruction budget: ${source} (measured at git ${m.gitSha.slice(0, 12)}${m.gitDirty ? ' (dirty)' : ''}, ${m.compiler}, ${m.valgrind}); a figure fails when it grows by more than ${(budget.tolerance * 100).toFixed(0)} %.`;
  const tail = check.ok
    ? 'Within budget.'
    : `Over budget: ${check.rows
        .filter((r) => r.over)
        .map(
          (r) =>
            `${r.workload} ${r.allocator} ${r.measured?.toFixed(2) ?? 'not measured'} against ${r.budget.toFixed(2)}`,
        )
        .join(
          '; ',
        )}. If the cost is intended, update the budget in the same commit, so that the diff shows it to a reviewer: ${UPDATE_COMMAND}`;
  return `${head}\n\n${table}\n\n${tail}\n`;
}

async function firstLine(cmd: string, args: string[]): Promise<string> {
  const r = await execa(cmd, args, { cwd: repoRoot, reject: false, stdin: 'ignore' });
  return r.exitCode === 0 ? String(r.stdout).trim().split('\n')[0]! : 'unknown';
}

/** The budget file for a measurement, with where and with what it was measured. */
export async function budgetFileFor(entries: readonly BudgetEntry[], date = new Date()): Promise<BudgetFile> {
  const [sha, status, compiler, valgrind] = await Promise.all([
    firstLine('git', ['rev-parse', 'HEAD']),
    execa('git', ['status', '--porcelain'], { cwd: repoRoot, reject: false }),
    firstLine('cc', ['--version']),
    firstLine('valgrind', ['--version']),
  ]);
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  return {
    schema: BUDGET_SCHEMA,
    note:
      'Marginal instructions per operation under callgrind, (Ir(2n) - Ir(n)) / (ops(2n) - ops(n)), of the FAST and Standard ' +
      'libraries at their defaults. npm test fails when a figure grows by more than `tolerance` over it. A change that ' +
      `costs instructions on purpose rewrites this file in the same commit: ${UPDATE_COMMAND}.`,
    tolerance: BUDGET_TOLERANCE,
    measured: {
      gitSha: sha,
      gitDirty: status.exitCode === 0 ? String(status.stdout).trim().length > 0 : null,
      date: date.toISOString(),
      compiler,
      valgrind,
      cpuModel: cpu,
    },
    budgets: entries.map((e) => ({ ...e, perOp: Math.round(e.perOp * 1000) / 1000 })),
  };
}

export function writeBudget(b: BudgetFile, file = BUDGET_FILE): void {
  fs.writeFileSync(file, `${JSON.stringify(b, null, 2)}\n`);
}

/** `hakmem budget [--update]`: measure the built FAST and Standard, check them against the file (or rewrite it). */
export async function runBudget(o: {
  update: boolean;
  file?: string;
  libDir?: string;
  binDir?: string;
  log: (line: string) => void;
}): Promise<{ report: string; ok: boolean }> {
  const file = o.file ?? BUDGET_FILE;
  const budget = o.update ? null : readBudget(file);
  const sizes = budget
    ? [...new Map(budget.budgets.map((b) => [b.workload, { workload: b.workload, n: b.n }])).values()]
    : BUDGET_SIZES;
  o.log(`budget: callgrind on ${sizes.map((s) => `${s.workload} (n=${s.n})`).join(', ')} under FAST and Standard ...`);
  const measured = await measureBudget({ allocators: budgetAllocators(o.libDir), sizes, binDir: o.binDir, log: o.log });
  if (o.update) {
    const b = await budgetFileFor(measured);
    writeBudget(b, file);
    const check = checkBudget(b, measured);
    return { report: `${budgetReport(b, check, path.relative(repoRoot, file))}Wrote ${file}.\n`, ok: true };
  }
  const check = checkBudget(budget!, measured);
  return { report: budgetReport(budget!, check, path.relative(repoRoot, file)), ok: check.ok };
}
