/**
 * The SMT-LIB problems of the `z3` real workload (docs/real-workloads.md), written by this
 * script into tools/real/z3/problems/ and committed:
 *
 *     npx hakmem z3-problems            # rewrite the files
 *     npx hakmem z3-problems --check    # exit 1 when the committed files differ
 *
 * Every problem's answer is known by construction and declared in the file as
 * `(set-info :status sat|unsat)`: a satisfiable one is built around a solution chosen first
 * (planted factors, a schedule, a filled grid), an unsatisfiable one is a classic with no
 * solution (pigeons, parity, a store chain read back wrongly). The driver
 * (tools/real/z3/run) compares z3's answers with these. Nothing here is random at run time:
 * one splitmix64 generator with fixed seeds, so the files are the same on every machine.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const Z3_PROBLEMS_DIR = path.resolve(fileURLToPath(new URL('../../real/z3/problems', import.meta.url)));

export interface Problem {
  /** File name: `NN-family-detail.smt2`; the number orders the run. */
  file: string;
  status: 'sat' | 'unsat';
  text: string;
}

/** splitmix64 (the workloads' generator, native/common/hk_program.h), as BigInt. */
export function splitmix64(seed: bigint): () => bigint {
  let s = BigInt.asUintN(64, seed);
  return () => {
    s = BigInt.asUintN(64, s + 0x9e3779b97f4a7c15n);
    let z = s;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
}

/** An integer in [0, n) from the generator. */
function below(next: () => bigint, n: number): number {
  return Number(next() % BigInt(n));
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

function header(logic: string, status: 'sat' | 'unsat', what: string): string {
  return `; ${what}\n(set-info :status ${status})\n(set-logic ${logic})\n`;
}

/** x * y = p * q over 32-bit vectors, 1 < x, y < 2^16: satisfiable by the planted primes p, q. */
function factor(seed: number): Omit<Problem, 'file'> & { name: string } {
  const next = splitmix64(BigInt(seed));
  const prime = () => {
    let p = 20000 + below(next, 40000);
    while (!isPrime(p)) p++;
    return p;
  };
  const p = prime();
  const q = prime();
  const n = p * q;
  const bv = (v: number) => `(_ bv${v} 32)`;
  const text =
    header('QF_BV', 'sat', `factor ${n} (= ${p} * ${q}) by bit-blasting a 32-bit multiplication`) +
    '(declare-const x (_ BitVec 32))\n(declare-const y (_ BitVec 32))\n' +
    `(assert (= (bvmul x y) ${bv(n)}))\n` +
    `(assert (bvugt x ${bv(1)}))\n(assert (bvugt y ${bv(1)}))\n` +
    `(assert (bvult x ${bv(65536)}))\n(assert (bvult y ${bv(65536)}))\n` +
    '(check-sat)\n';
  return { name: `factor-${n}`, status: 'sat', text };
}

/** n + 1 pigeons in n holes, as propositional clauses: unsatisfiable. */
function pigeons(n: number): Omit<Problem, 'file'> & { name: string } {
  const v = (i: number, j: number) => `p_${i}_${j}`;
  const lines: string[] = [];
  for (let i = 0; i <= n; i++) for (let j = 0; j < n; j++) lines.push(`(declare-const ${v(i, j)} Bool)`);
  for (let i = 0; i <= n; i++) lines.push(`(assert (or ${Array.from({ length: n }, (_, j) => v(i, j)).join(' ')}))`);
  for (let j = 0; j < n; j++)
    for (let a = 0; a <= n; a++)
      for (let b = a + 1; b <= n; b++) lines.push(`(assert (not (and ${v(a, j)} ${v(b, j)})))`);
  const text = header('QF_UF', 'unsat', `${n + 1} pigeons, ${n} holes`) + lines.join('\n') + '\n(check-sat)\n';
  return { name: `pigeons-${n}`, status: 'unsat', text };
}

/** n queens with integer columns, pairwise distinct columns and diagonals: satisfiable for n >= 4. */
function queens(n: number): Omit<Problem, 'file'> & { name: string } {
  const q = (i: number) => `q${i}`;
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(`(declare-const ${q(i)} Int)`, `(assert (and (>= ${q(i)} 0) (< ${q(i)} ${n})))`);
  lines.push(`(assert (distinct ${Array.from({ length: n }, (_, i) => q(i)).join(' ')}))`);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++)
      lines.push(`(assert (and (distinct (- ${q(j)} ${q(i)}) ${j - i}) (distinct (- ${q(i)} ${q(j)}) ${j - i})))`);
  const text = header('QF_LIA', 'sat', `${n} queens`) + lines.join('\n') + '\n(check-sat)\n';
  return { name: `queens-${n}`, status: 'sat', text };
}

/**
 * A 9x9 sudoku: a full grid (a shifted pattern, its digits, rows and columns permuted by the
 * generator) with `blanks` cells cleared; satisfiable by the grid it came from.
 */
function sudoku(seed: number, blanks: number): Omit<Problem, 'file'> & { name: string } {
  const next = splitmix64(BigInt(seed));
  const shuffle = <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = below(next, i + 1);
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  };
  const digits = shuffle([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // rows and columns permuted within their bands and stacks, bands and stacks permuted too: still a sudoku
  const order = () => shuffle([0, 1, 2]).flatMap((b) => shuffle([0, 1, 2]).map((r) => b * 3 + r));
  const rows = order();
  const cols = order();
  const grid = rows.map((r) => cols.map((c) => digits[(r * 3 + Math.floor(r / 3) + c) % 9]!));
  const cells = shuffle(Array.from({ length: 81 }, (_, i) => i)).slice(0, blanks);
  const blank = new Set(cells);
  const x = (r: number, c: number) => `c${r}${c}`;
  const lines: string[] = [];
  for (let r = 0; r < 9; r++)
    for (let c = 0; c < 9; c++) {
      lines.push(`(declare-const ${x(r, c)} Int)`);
      lines.push(
        blank.has(r * 9 + c)
          ? `(assert (and (>= ${x(r, c)} 1) (<= ${x(r, c)} 9)))`
          : `(assert (= ${x(r, c)} ${grid[r]![c]}))`,
      );
    }
  const group = (cs: [number, number][]) => `(assert (distinct ${cs.map(([r, c]) => x(r, c)).join(' ')}))`;
  for (let i = 0; i < 9; i++) {
    lines.push(group(Array.from({ length: 9 }, (_, j) => [i, j] as [number, number])));
    lines.push(group(Array.from({ length: 9 }, (_, j) => [j, i] as [number, number])));
    const br = Math.floor(i / 3) * 3;
    const bc = (i % 3) * 3;
    lines.push(group(Array.from({ length: 9 }, (_, j) => [br + Math.floor(j / 3), bc + (j % 3)] as [number, number])));
  }
  const text = header('QF_LIA', 'sat', `sudoku with ${blanks} blanks`) + lines.join('\n') + '\n(check-sat)\n';
  return { name: `sudoku-${seed}`, status: 'sat', text };
}

/**
 * Job-shop scheduling: `jobs` jobs of `machines` operations each (an operation's machine and
 * duration from the generator), no two operations on one machine at once, each job's
 * operations in order, everything done by the makespan of a greedy schedule built here
 * (so satisfiable), or by one less than a lower bound (the busiest machine's total work):
 * unsatisfiable.
 */
function jobshop(
  seed: number,
  jobs: number,
  machines: number,
  status: 'sat' | 'unsat',
): Omit<Problem, 'file'> & { name: string } {
  const next = splitmix64(BigInt(seed));
  const ops = Array.from({ length: jobs }, () => {
    const order = Array.from({ length: machines }, (_, m) => m);
    for (let i = order.length - 1; i > 0; i--) {
      const j = below(next, i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order.map((m) => ({ m, d: 1 + below(next, 9) }));
  });
  // greedy: each job in turn, each operation as early as its machine and its predecessor allow
  const machineFree = new Array<number>(machines).fill(0);
  let makespan = 0;
  for (const job of ops) {
    let t = 0;
    for (const o of job) {
      const s = Math.max(t, machineFree[o.m]!);
      t = s + o.d;
      machineFree[o.m] = t;
    }
    makespan = Math.max(makespan, t);
  }
  const load = new Array<number>(machines).fill(0);
  for (const job of ops) for (const o of job) load[o.m]! += o.d;
  const bound = status === 'sat' ? makespan : Math.max(...load) - 1;
  const s = (j: number, k: number) => `s_${j}_${k}`;
  const lines: string[] = [];
  ops.forEach((job, j) =>
    job.forEach((o, k) => {
      lines.push(`(declare-const ${s(j, k)} Int)`, `(assert (>= ${s(j, k)} 0))`);
      if (k > 0) lines.push(`(assert (>= ${s(j, k)} (+ ${s(j, k - 1)} ${job[k - 1]!.d})))`);
      if (k === job.length - 1) lines.push(`(assert (<= (+ ${s(j, k)} ${o.d}) ${bound}))`);
    }),
  );
  const all = ops.flatMap((job, j) => job.map((o, k) => ({ ...o, v: s(j, k) })));
  for (let a = 0; a < all.length; a++)
    for (let b = a + 1; b < all.length; b++) {
      const x = all[a]!;
      const y = all[b]!;
      if (x.m === y.m) lines.push(`(assert (or (<= (+ ${x.v} ${x.d}) ${y.v}) (<= (+ ${y.v} ${y.d}) ${x.v})))`);
    }
  const text =
    header('QF_LIA', status, `job shop, ${jobs} jobs x ${machines} machines, deadline ${bound}`) +
    lines.join('\n') +
    '\n(check-sat)\n';
  return { name: `jobshop-${jobs}x${machines}-${status}`, status, text };
}

/**
 * An array written `n` times at distinct indices, then every cell read back: the reads equal
 * what was written (asserted as a negated conjunction: unsatisfiable), with uninterpreted
 * functions over the values so that congruence closure works too.
 */
function arrays(seed: number, n: number): Omit<Problem, 'file'> & { name: string } {
  const next = splitmix64(BigInt(seed));
  const lines = ['(declare-const a0 (Array Int Int))', '(declare-fun f (Int) Int)'];
  const idx: number[] = [];
  const used = new Set<number>();
  while (idx.length < n) {
    const i = below(next, 100000);
    if (!used.has(i)) {
      used.add(i);
      idx.push(i);
    }
  }
  idx.forEach((i, k) => {
    lines.push(`(declare-const v${k} Int)`);
    lines.push(`(define-fun a${k + 1} () (Array Int Int) (store a${k} ${i} (f v${k})))`);
  });
  const goal = idx.map((i, k) => `(= (select a${n} ${i}) (f v${k}))`).join(' ');
  lines.push(`(assert (not (and ${goal})))`);
  const text =
    header('QF_AUFLIA', 'unsat', `${n} stores at distinct indices read back`) + lines.join('\n') + '\n(check-sat)\n';
  return { name: `arrays-${n}`, status: 'unsat', text };
}

/**
 * A chain of `n` integer equations x_{i+1} = x_i + 2 k_i + 1 alternating the parity of x, closed
 * into a cycle of odd length: unsatisfiable (no integer solution), which linear relaxation alone
 * does not see; plus bounds so that branch and bound has work.
 */
function parity(n: number): Omit<Problem, 'file'> & { name: string } {
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(`(declare-const x${i} Int)`, `(declare-const k${i} Int)`, `(assert (<= -1000 k${i} 1000))`);
  for (let i = 0; i < n; i++) lines.push(`(assert (= x${(i + 1) % n} (+ x${i} (* 2 k${i}) 1)))`);
  const text = header('QF_LIA', 'unsat', `odd cycle of ${n} parity flips`) + lines.join('\n') + '\n(check-sat)\n';
  return { name: `parity-${n}`, status: 'unsat', text };
}

/**
 * The committed set, in run order. The driver runs the first `problems=N` of them (all by
 * default; --quick runs the first 8, the cheap ones), so the order is part of the workload.
 */
export function z3Problems(): Problem[] {
  const list = [
    sudoku(1, 55),
    queens(12),
    queens(16),
    queens(20),
    pigeons(7),
    factor(1),
    arrays(1, 120),
    parity(41),
    jobshop(1, 8, 6, 'sat'),
    jobshop(2, 8, 6, 'unsat'),
    jobshop(3, 10, 6, 'sat'),
    jobshop(4, 10, 6, 'unsat'),
    factor(2),
    factor(4),
    factor(5),
    factor(6),
    sudoku(2, 60),
    sudoku(3, 60),
    arrays(2, 400),
    pigeons(8),
  ];
  return list.map((p, i) => ({
    file: `${String(i + 1).padStart(2, '0')}-${p.name}.smt2`,
    status: p.status,
    text: p.text,
  }));
}

/** The files to write: one per problem. */
export function z3ProblemFiles(): Record<string, string> {
  return Object.fromEntries(z3Problems().map((p) => [p.file, p.text]));
}

/** Names of the files in `dir` that differ from, lack or add to what the generator writes. */
export function staleZ3Files(dir = Z3_PROBLEMS_DIR): string[] {
  const want = z3ProblemFiles();
  const have = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  const stale = Object.entries(want)
    .filter(([f, text]) => !have.includes(f) || fs.readFileSync(path.join(dir, f), 'utf8') !== text)
    .map(([f]) => f);
  return [...stale, ...have.filter((f) => !(f in want))].sort();
}

/** Rewrites the committed files, or with `check` exits 1 naming the stale ones; the exit status. */
export function runZ3Problems({ check = false }: { check?: boolean } = {}): number {
  if (check) {
    const stale = staleZ3Files();
    if (stale.length) {
      process.stderr.write(
        `z3-problems: ${stale.join(', ')} in ${path.relative(process.cwd(), Z3_PROBLEMS_DIR)} differ from the generator; run: npx hakmem z3-problems\n`,
      );
      return 1;
    }
    return 0;
  }
  fs.rmSync(Z3_PROBLEMS_DIR, { recursive: true, force: true });
  fs.mkdirSync(Z3_PROBLEMS_DIR, { recursive: true });
  for (const [f, text] of Object.entries(z3ProblemFiles())) fs.writeFileSync(path.join(Z3_PROBLEMS_DIR, f), text);
  process.stdout.write(`z3-problems: wrote ${Object.keys(z3ProblemFiles()).length} files to ${Z3_PROBLEMS_DIR}\n`);
  return 0;
}
