/**
 * The one table of knob kinds. Everything that depends on a knob's kind — how a declaration
 * spells it, which values a config may give it, how docs show it, its TypeScript type in
 * hakmem.config.ts, its C type and literal, and how the Standard build's environment loader
 * parses it — is a row here, so a new kind is added in one place and codegen has no switch
 * over kinds.
 */
import type { AnyKnobValue, Knob, KnobKind } from './types.ts';

/** `1048576` -> `1 MiB`; a value that is not a whole number of units stays in bytes. */
export function humanBytes(n: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} B`;
}

export interface KindInfo {
  /** The constructor a declaration calls (codegen checks the source says the same). */
  readonly ctor: string;
  /** The kind in words, for docs/knobs.md. */
  readonly label: string;
  /** Whether the kind may be read from the environment at run time (scope 'env'). */
  readonly runtime: boolean;
  /** Whether structured invariants (atMost, lessThan, ...) may compare it as a number. */
  readonly numeric: boolean;
  /** Whether C gets the value as an array (hk_<p>_<knob>[], a _COUNT macro) rather than an accessor. */
  readonly cArray: boolean;
  /** The row kind of the environment loader (native/src/env/env.c), for run-time kinds. */
  readonly envRow: string | undefined;
  /** Why a configured value does not fit the kind, or undefined (ranges are checked apart). */
  typeProblem(knob: Knob, value: unknown): string | undefined;
  /** Range problems of a value of the right type, one line each. */
  rangeProblems(path: string, knob: Knob, value: AnyKnobValue): string[];
  /** The longest JSON text of a value the environment can set (the run-time hash's buffer). */
  jsonWidth(knob: Knob): number;
  /** The values the environment loader accepts, as a C range (enum: value indexes). */
  envRange(knob: Knob): readonly [number, number];
  /** The type of the value in hakmem.config.ts. */
  tsType(knob: Knob): string;
  /** The C type of the value; `enumType` names the C enum of an enum knob. */
  cType(enumType: string): string;
  /** The value as a C expression; `enumConst` names an enum value's C constant. */
  cLiteral(value: AnyKnobValue, enumConst: (v: string) => string): string;
  /** The value for docs. */
  shown(value: AnyKnobValue): string;
  /** What is allowed, for docs; `runtime` when the knob is also read from the environment. */
  allowed(knob: Knob, runtime: boolean): string;
}

const show = (v: unknown): string => JSON.stringify(v) ?? String(v);
const range = (knob: Knob, f: (n: number) => string = String): string =>
  'min' in knob ? `${f(knob.min)} .. ${f(knob.max)}` : '';
const inRange = (path: string, knob: Knob, v: number): string[] =>
  'min' in knob && (v < knob.min || v > knob.max) ? [`${path} = ${v} must be in [${knob.min}, ${knob.max}]`] : [];
const minMax = (knob: Knob): readonly [number, number] => ('min' in knob ? [knob.min, knob.max] : [0, 0]);

export const KNOB_KINDS: Readonly<Record<KnobKind, KindInfo>> = {
  bool: {
    ctor: 'bool',
    label: 'bool',
    runtime: true,
    numeric: false,
    cArray: false,
    jsonWidth: () => 5,
    envRow: 'HK_KNOB_BOOL',
    typeProblem: (_k, v) => (typeof v === 'boolean' ? undefined : `expected true or false, got ${show(v)}`),
    rangeProblems: () => [],
    envRange: () => [0, 1],
    tsType: () => 'boolean',
    cType: () => 'bool',
    cLiteral: (v) => (v ? 'true' : 'false'),
    shown: (v) => String(v),
    allowed: () => 'true, false',
  },
  int: {
    ctor: 'int',
    label: 'int',
    runtime: true,
    numeric: true,
    cArray: false,
    jsonWidth: () => 20,
    envRow: 'HK_KNOB_INT',
    typeProblem: (_k, v) => (Number.isSafeInteger(v) ? undefined : `expected an integer, got ${show(v)}`),
    rangeProblems: (p, k, v) => inRange(p, k, v as number),
    envRange: minMax,
    tsType: () => 'number',
    cType: () => 'int64_t',
    cLiteral: (v) => String(v),
    shown: (v) => String(v),
    allowed: (k) => range(k),
  },
  bytes: {
    ctor: 'bytes',
    label: 'bytes',
    runtime: true,
    numeric: true,
    cArray: false,
    jsonWidth: () => 20,
    envRow: 'HK_KNOB_BYTES',
    typeProblem: (_k, v) =>
      Number.isSafeInteger(v) && (v as number) >= 0
        ? undefined
        : `expected a byte count (a non-negative integer; KiB()/MiB() help), got ${show(v)}`,
    rangeProblems: (p, k, v) => inRange(p, k, v as number),
    envRange: minMax,
    tsType: () => 'number',
    cType: () => 'size_t',
    cLiteral: (v) => `((size_t)${String(v)})`,
    shown: (v) => `${String(v)} (${humanBytes(v as number)})`,
    allowed: (k, runtime) =>
      `${range(k, humanBytes)}${runtime ? ' (environment: bytes, or with a KiB/MiB/GiB suffix)' : ''}`,
  },
  enum: {
    ctor: 'enumOf',
    label: 'enum',
    runtime: true,
    numeric: false,
    cArray: false,
    jsonWidth: (k) => 2 + Math.max(...(k.kind === 'enum' ? k.values : ['']).map((x) => x.length)),
    envRow: 'HK_KNOB_ENUM',
    typeProblem: (k, v) =>
      k.kind === 'enum' && typeof v === 'string' && k.values.includes(v)
        ? undefined
        : `expected one of ${(k.kind === 'enum' ? k.values : []).map((x) => `'${x}'`).join(', ')}, got ${show(v)}`,
    rangeProblems: () => [],
    envRange: (k) => [0, k.kind === 'enum' ? k.values.length - 1 : 0],
    tsType: (k) => (k.kind === 'enum' ? k.values.map((x) => `'${x}'`).join(' | ') : 'string'),
    cType: (enumType) => enumType,
    cLiteral: (v, enumConst) => enumConst(String(v)),
    shown: (v) => `'${String(v)}'`,
    allowed: (k) => (k.kind === 'enum' ? k.values.join(', ') : ''),
  },
  intList: {
    ctor: 'intList',
    label: 'int list',
    runtime: false,
    numeric: false,
    cArray: true,
    jsonWidth: () => 0,
    envRow: undefined,
    typeProblem: (_k, v) =>
      Array.isArray(v) && v.every((x) => Number.isSafeInteger(x))
        ? undefined
        : `expected a list of integers, got ${show(v)}`,
    rangeProblems: (p, k, v) => {
      const list = v as readonly number[];
      if (list.length === 0) return [`${p} must not be empty`];
      return list.flatMap((x, i) => inRange(`${p}[${i}]`, k, x));
    },
    envRange: minMax,
    tsType: () => 'readonly number[]',
    cType: () => 'uint32_t',
    cLiteral: (v) => `{${(v as readonly number[]).join(', ')}}`,
    shown: (v) => `[${(v as readonly number[]).join(', ')}]`,
    allowed: (k) => `each ${range(k)}`,
  },
};

/** The row of a knob's kind. */
export const kindOf = (knob: Knob): KindInfo => KNOB_KINDS[knob.kind];

/** Knob constructor name -> kind, for reading declarations from source. */
export const KIND_BY_CTOR: ReadonlyMap<string, KnobKind> = new Map(
  (Object.entries(KNOB_KINDS) as [KnobKind, KindInfo][]).map(([kind, info]) => [info.ctor, kind]),
);
