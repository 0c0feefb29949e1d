import type { ConfigView, Invariant, InvariantForm, InvariantOp } from './types.ts';

const ok: readonly string[] = [];

/**
 * A free-form rule: `check` returns the problem line, or undefined when the rule holds.
 * Codegen checks it at build time only, so it may read build-time knobs (scope 'const') only;
 * a rule over run-time knobs must be written with the structured helpers below, which the
 * Standard build also checks at run time.
 */
export function rule(spec: {
  name: string;
  rule: string;
  paths: readonly string[];
  check: (c: ConfigView) => string | readonly string[] | undefined;
}): Invariant {
  return {
    name: spec.name,
    rule: spec.rule,
    paths: spec.paths,
    check(c) {
      const r = spec.check(c);
      if (r === undefined) return ok;
      return typeof r === 'string' ? [r] : r;
    },
  };
}

export function isPowerOfTwo(v: number): boolean {
  return Number.isSafeInteger(v) && v > 0 && (BigInt(v) & (BigInt(v) - 1n)) === 0n;
}

/**
 * The structured invariants, one row each: the name, the rule and the problem line as
 * templates, and the test. `{a}`/`{b}` are knob paths, `{va}`/`{vb}` their values, `{n}`,
 * `{lo}`, `{hi}` the constants. Codegen turns `problem` into the C format string of the run-time
 * check, so a violation reads the same at build time and at run time.
 */
export const INVARIANT_FORMS: Readonly<
  Record<
    InvariantOp,
    { name: string; rule: string; problem: string; holds: (va: number, vb: number, f: InvariantForm) => boolean }
  >
> = {
  atMost: {
    name: '{a} <= {b}',
    rule: '{a} must be <= {b}',
    problem: '{a} = {va} must be <= {b} ({vb})',
    holds: (a, b) => a <= b,
  },
  lessThan: {
    name: '{a} < {b}',
    rule: '{a} must be < {b}',
    problem: '{a} = {va} must be < {b} ({vb})',
    holds: (a, b) => a < b,
  },
  atLeast: {
    name: '{a} >= {n}',
    rule: '{a} must be >= {n}',
    problem: '{a} = {va} must be >= {n}',
    holds: (a, _b, f) => a >= (f.n ?? 0),
  },
  powerOfTwo: {
    name: '{a} power of two',
    rule: '{a} must be a power of two',
    problem: '{a} = {va} must be a power of two',
    holds: (a) => isPowerOfTwo(a),
  },
  multipleOf: {
    name: '{a} multiple of {b}',
    rule: '{a} must be a multiple of {b}',
    problem: '{a} = {va} must be a multiple of {b} ({vb})',
    holds: (a, b) => b > 0 && a % b === 0,
  },
  ratioWithin: {
    name: '{a} / {b} in [{lo}, {hi}]',
    rule: '{a} / {b} must be in [{lo}, {hi}]',
    problem: '{a} / {b} = {va} / {vb} must be in [{lo}, {hi}]',
    holds: (a, b, f) => b > 0 && a >= (f.lo ?? 0) * b && a <= (f.hi ?? 0) * b,
  },
};

/** Fills a template of INVARIANT_FORMS; `values` gives {va}/{vb} (omit them to keep the placeholders). */
export function fillTemplate(template: string, f: InvariantForm, values: { va?: string; vb?: string } = {}): string {
  const fields: Record<string, string | undefined> = {
    a: f.a,
    b: f.b,
    n: f.n === undefined ? undefined : String(f.n),
    lo: f.lo === undefined ? undefined : String(f.lo),
    hi: f.hi === undefined ? undefined : String(f.hi),
    ...values,
  };
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => fields[key] ?? whole);
}

function structured(form: InvariantForm): Invariant {
  const row = INVARIANT_FORMS[form.op];
  const paths = form.b === undefined ? [form.a] : [form.a, form.b];
  return {
    name: fillTemplate(row.name, form),
    rule: fillTemplate(row.rule, form),
    paths,
    form,
    check(c) {
      const va = c.num(form.a);
      const vb = form.b === undefined ? 0 : c.num(form.b);
      return row.holds(va, vb, form) ? ok : [fillTemplate(row.problem, form, { va: String(va), vb: String(vb) })];
    },
  };
}

/** a <= b */
export const atMost = (a: string, b: string): Invariant => structured({ op: 'atMost', a, b });

/** a < b */
export const lessThan = (a: string, b: string): Invariant => structured({ op: 'lessThan', a, b });

/** a >= n (when n is within the knob's own range, the range says it already: codegen refuses that) */
export const atLeast = (a: string, n: number): Invariant => structured({ op: 'atLeast', a, n });

/** a is a power of two */
export const powerOfTwo = (a: string): Invariant => structured({ op: 'powerOfTwo', a });

/** a is a multiple of b */
export const multipleOf = (a: string, b: string): Invariant => structured({ op: 'multipleOf', a, b });

/** lo <= a / b <= hi */
export const ratioWithin = (a: string, b: string, lo: number, hi: number): Invariant =>
  structured({ op: 'ratioWithin', a, b, lo, hi });
