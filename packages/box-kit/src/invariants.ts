import type { ConfigView, Invariant } from './types.ts';

const ok: readonly string[] = [];

/** A custom rule: `check` returns the problem line, or undefined when the rule holds. */
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

/** a <= b */
export function atMost(a: string, b: string): Invariant {
  return rule({
    name: `${a} <= ${b}`,
    rule: `${a} must be <= ${b}`,
    paths: [a, b],
    check: (c) => (c.num(a) <= c.num(b) ? undefined : `${a} = ${c.num(a)} must be <= ${b} (${c.num(b)})`),
  });
}

/** a < b */
export function lessThan(a: string, b: string): Invariant {
  return rule({
    name: `${a} < ${b}`,
    rule: `${a} must be < ${b}`,
    paths: [a, b],
    check: (c) => (c.num(a) < c.num(b) ? undefined : `${a} = ${c.num(a)} must be < ${b} (${c.num(b)})`),
  });
}

/** a >= n */
export function atLeast(a: string, n: number): Invariant {
  return rule({
    name: `${a} >= ${n}`,
    rule: `${a} must be >= ${n}`,
    paths: [a],
    check: (c) => (c.num(a) >= n ? undefined : `${a} = ${c.num(a)} must be >= ${n}`),
  });
}

export function isPowerOfTwo(v: number): boolean {
  return Number.isSafeInteger(v) && v > 0 && (BigInt(v) & (BigInt(v) - 1n)) === 0n;
}

/** a is a power of two */
export function powerOfTwo(a: string): Invariant {
  return rule({
    name: `${a} power of two`,
    rule: `${a} must be a power of two`,
    paths: [a],
    check: (c) => (isPowerOfTwo(c.num(a)) ? undefined : `${a} = ${c.num(a)} must be a power of two`),
  });
}

/** a is a multiple of b */
export function multipleOf(a: string, b: string): Invariant {
  return rule({
    name: `${a} multiple of ${b}`,
    rule: `${a} must be a multiple of ${b}`,
    paths: [a, b],
    check: (c) =>
      c.num(b) > 0 && c.num(a) % c.num(b) === 0
        ? undefined
        : `${a} = ${c.num(a)} must be a multiple of ${b} (${c.num(b)})`,
  });
}

/** lo <= a / b <= hi, a a multiple of b */
export function ratioWithin(a: string, b: string, lo: number, hi: number): Invariant {
  return rule({
    name: `${a} / ${b} in [${lo}, ${hi}]`,
    rule: `${a} / ${b} must be in [${lo}, ${hi}]`,
    paths: [a, b],
    check: (c) => {
      const r = c.num(a) / c.num(b);
      return r >= lo && r <= hi
        ? undefined
        : `${a} / ${b} = ${c.num(a)} / ${c.num(b)} = ${r} must be in [${lo}, ${hi}]`;
    },
  });
}
