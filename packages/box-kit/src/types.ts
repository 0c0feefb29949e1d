/**
 * The shapes a box declaration is made of. A box declares knobs (typed, ranged settings),
 * invariants (rules over one or several knobs, possibly of other boxes) and counters
 * (OBSERVE-only event counts). Codegen turns a declaration into a C header.
 */

/** `env`: read from the environment in Standard/OBSERVE, a constant in FAST. `const`: build-time only. */
export type KnobScope = 'env' | 'const';

export type KnobKind = 'bool' | 'int' | 'bytes' | 'enum' | 'intList';

interface KnobCommon {
  readonly scope: KnobScope;
  /** Full environment variable name; when absent it is HAKMEM_<envPrefix><KNOB_IN_UPPER_SNAKE>. */
  readonly env?: string;
  /**
   * The knob only chooses what is reported (verbosity, statistics), never how memory is
   * managed: the run-time configuration hash and the list of overrides leave it out, and it
   * stays as set when a broken invariant sends the other overrides back to the build's values.
   */
  readonly diagnostic?: boolean;
}

export interface BoolKnob extends KnobCommon {
  readonly kind: 'bool';
  readonly default: boolean;
}

export interface IntKnob extends KnobCommon {
  readonly kind: 'int';
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

/** A size in bytes; the environment accepts a plain number or a KiB/MiB/GiB suffix. */
export interface BytesKnob extends KnobCommon {
  readonly kind: 'bytes';
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

export interface EnumKnob<V extends string = string> extends KnobCommon {
  readonly kind: 'enum';
  readonly values: readonly V[];
  readonly default: V;
}

/** A list of integers; build-time only. `min`/`max` bound every element. */
export interface IntListKnob extends KnobCommon {
  readonly kind: 'intList';
  readonly scope: 'const';
  readonly default: readonly number[];
  readonly min: number;
  readonly max: number;
}

export type Knob = BoolKnob | IntKnob | BytesKnob | EnumKnob | IntListKnob;

export type AnyKnobValue = boolean | number | string | readonly number[];

/** Read access to a merged configuration by full knob path, e.g. `unifiedCache.capacity`. */
export interface ConfigView {
  get(path: string): AnyKnobValue;
  num(path: string): number;
  list(path: string): readonly number[];
}

/** The structured invariants: each is also checked at run time (Standard/OBSERVE) by C code. */
export type InvariantOp = 'atMost' | 'lessThan' | 'atLeast' | 'powerOfTwo' | 'multipleOf' | 'ratioWithin';

/**
 * A rule in a form the C side can evaluate: operator, knob paths `a` (and `b`), constants.
 * Only numeric knobs (int, bytes) may appear in one.
 */
export interface InvariantForm {
  readonly op: InvariantOp;
  readonly a: string;
  readonly b?: string;
  /** atLeast: the bound; ratioWithin: lo and hi. */
  readonly n?: number;
  readonly lo?: number;
  readonly hi?: number;
}

/**
 * A named rule over one or several knobs. `check` returns one problem line per violation
 * (empty when the rule holds), each naming the knob path, the value and what is allowed.
 */
export interface Invariant {
  readonly name: string;
  /** The rule in words, for docs/knobs.md. */
  readonly rule: string;
  /** Full paths of the knobs the rule reads. */
  readonly paths: readonly string[];
  check(config: ConfigView): readonly string[];
  /**
   * Present for the structured helpers (atMost, lessThan, ...): the run-time check is generated
   * from it. A free-form `rule` has none and may read build-time knobs only.
   */
  readonly form?: InvariantForm;
}

/** An OBSERVE-only event counter; `perClass` counters have one slot per size class. */
export interface Counter {
  readonly perClass: boolean;
}

export interface BoxSpec<K extends Record<string, Knob>> {
  /** Kebab-case box name; the header file is its snake_case form plus `_box.h`. */
  readonly name: string;
  /** npm package name, e.g. `@hakmem/box-front`. */
  readonly packageName: string;
  /** The package's version, taken from its package.json. */
  readonly version: string;
  /** Where the box's knobs sit in hakmem.config.ts, e.g. `unifiedCache`. */
  readonly configPath: string;
  /** C identifier prefix: `hk_<cPrefix>_...` / `HK_<CPREFIX>_...`. */
  readonly cPrefix: string;
  /** Environment prefix after `HAKMEM_`, e.g. `UCACHE_`; may be empty. */
  readonly envPrefix: string;
  readonly knobs: K;
  readonly invariants?: readonly Invariant[];
  readonly counters?: Readonly<Record<string, Counter>>;
}

export interface Box<K extends Record<string, Knob> = Record<string, Knob>> extends BoxSpec<K> {
  readonly kind: 'hakmem-box';
  readonly invariants: readonly Invariant[];
  readonly counters: Readonly<Record<string, Counter>>;
}

/** A profile: a named set of overrides, keyed by full knob path. */
export type ProfileOverrides = Readonly<Record<string, AnyKnobValue>>;
