import type { BoolKnob, BytesKnob, EnumKnob, IntKnob, IntListKnob, KnobScope } from './types.ts';

export class DeclarationError extends Error {
  override name = 'DeclarationError';
}

interface ScopeOpts {
  scope: KnobScope;
  env?: string;
  /** Only chooses what is reported (see KnobCommon.diagnostic). */
  diagnostic?: boolean;
}

function checkRange(what: string, min: number, max: number): void {
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) {
    throw new DeclarationError(`${what}: range [${min}, ${max}] must be two integers with min <= max`);
  }
}

function checkDefault(what: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new DeclarationError(`${what}: default ${value} must be an integer in [${min}, ${max}]`);
  }
}

function scoped(opts: ScopeOpts): { scope: KnobScope; env?: string; diagnostic?: boolean } {
  return {
    scope: opts.scope,
    ...(opts.env === undefined ? {} : { env: opts.env }),
    ...(opts.diagnostic ? { diagnostic: true } : {}),
  };
}

/** A boolean gate. */
export function bool(opts: ScopeOpts & { default: boolean }): BoolKnob {
  return { kind: 'bool', default: opts.default, ...scoped(opts) };
}

/** An integer in [min, max]. */
export function int(opts: ScopeOpts & { default: number; min: number; max: number }): IntKnob {
  checkRange('int knob', opts.min, opts.max);
  checkDefault('int knob', opts.default, opts.min, opts.max);
  return { kind: 'int', default: opts.default, min: opts.min, max: opts.max, ...scoped(opts) };
}

/** A byte size in [min, max]; use KiB()/MiB()/GiB() for readability. */
export function bytes(opts: ScopeOpts & { default: number; min: number; max: number }): BytesKnob {
  checkRange('bytes knob', opts.min, opts.max);
  checkDefault('bytes knob', opts.default, opts.min, opts.max);
  return { kind: 'bytes', default: opts.default, min: opts.min, max: opts.max, ...scoped(opts) };
}

/** One of a fixed set of names; C gets an enum with the values in this order. */
export function enumOf<const V extends string>(
  values: readonly V[],
  opts: ScopeOpts & { default: NoInfer<V> },
): EnumKnob<V> {
  if (values.length === 0 || new Set(values).size !== values.length) {
    throw new DeclarationError(`enum knob: values must be non-empty and distinct (got ${values.join(', ')})`);
  }
  if (!values.includes(opts.default)) {
    throw new DeclarationError(`enum knob: default ${opts.default} must be one of ${values.join(', ')}`);
  }
  return { kind: 'enum', values, default: opts.default, ...scoped(opts) };
}

/** A build-time list of integers, each in [min, max]. */
export function intList(opts: { default: readonly number[]; min: number; max: number }): IntListKnob {
  checkRange('intList knob', opts.min, opts.max);
  for (const v of opts.default) checkDefault('intList knob', v, opts.min, opts.max);
  return { kind: 'intList', scope: 'const', default: opts.default, min: opts.min, max: opts.max };
}

export const KiB = (n: number): number => n * 1024;
export const MiB = (n: number): number => n * 1024 * 1024;
export const GiB = (n: number): number => n * 1024 * 1024 * 1024;
