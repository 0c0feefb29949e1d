/**
 * Knob look-up and validation for `hakmem ab` and `hakmem tune`, through the codegen package's own functions, so a
 * wrong path or value gets codegen's own message. A knob setting is `path=value`, e.g.
 * `unifiedCache.capacity=64`; several are separated by commas.
 */
import type { AnyKnobValue, Knob } from '@hakmem/box-kit';
import { pathToFileURL } from 'node:url';
import {
  checkValues,
  effectiveFor,
  envName,
  knobIndex,
  loadBoxes,
  parseConfig,
  resolveConfigFile,
  validate,
  type Declarations,
  type Effective,
  type Validated,
} from '@hakmem/codegen';

export class KnobError extends Error {
  override name = 'KnobError';
}

export interface KnobSetting {
  path: string;
  value: AnyKnobValue;
  scope: 'env' | 'const';
  /** The environment variable (env knobs). */
  env: string;
  /** The value as the C side's environment parser accepts it. */
  envValue: string;
}

let declsCache: Promise<Declarations> | undefined;
export function declarations(): Promise<Declarations> {
  declsCache ??= loadBoxes();
  return declsCache;
}

const BYTE_SUFFIX: Record<string, number> = {
  '': 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
};

/** Turns the text after `=` into the knob's value type; anything unparsable is left as text for codegen to refuse. */
export function coerceValue(knob: Knob | undefined, text: string): unknown {
  const t = text.trim();
  if (!knob) return t;
  switch (knob.kind) {
    case 'bool':
      return t === 'true' ? true : t === 'false' ? false : t;
    case 'int':
      return /^-?\d+$/.test(t) ? Number(t) : t;
    case 'bytes': {
      const m = t.match(/^(\d+)\s*([a-zA-Z]*)$/);
      const mult = m ? BYTE_SUFFIX[m[2]!.toLowerCase()] : undefined;
      return m && mult ? Number(m[1]) * mult : t;
    }
    case 'intList':
      return t.split(/[\s;]+/).map((x) => (/^-?\d+$/.test(x) ? Number(x) : x));
    default:
      return t;
  }
}

/** Splits `a.b.c=1,d.e=2` into [path, text] pairs. */
export function splitSettings(spec: string): [string, string][] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const eq = s.indexOf('=');
      if (eq <= 0) throw new KnobError(`"${s}": expected KNOB.PATH=VALUE, e.g. unifiedCache.capacity=64`);
      return [s.slice(0, eq).trim(), s.slice(eq + 1).trim()];
    });
}

/** The nested config object codegen reads, from full paths: {front: {unifiedCache: {capacity: 64}}}. */
export function nestedConfig(pairs: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [p, v] of pairs) {
    const parts = p.split('.');
    let at = root;
    for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
    at[parts[parts.length - 1]!] = v;
  }
  return root;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` merged into `base` (objects recursively; everything else replaced). */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over))
    out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** The project's build config (hakmem.config.ts at the root, when present), as a plain object. */
export async function projectConfig(): Promise<Record<string, unknown>> {
  const file = resolveConfigFile(undefined);
  if (!file) return {};
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  return isObject(mod.default) ? JSON.parse(JSON.stringify(mod.default)) : {};
}

function envText(knob: Knob, value: AnyKnobValue): string {
  if (knob.kind === 'bool') return value ? '1' : '0';
  return String(value);
}

/**
 * Checks a whole config object (hakmem.config.ts's shape) with codegen's own functions: unknown
 * keys, wrong types, ranges and invariants, for the build's profile and every other one. Returns
 * codegen's result (effective values per profile); throws a KnobError with codegen's problem
 * lines, each prefixed with `label` unless it names it already.
 */
export async function checkConfig(label: string, config: Record<string, unknown>): Promise<Validated> {
  const decls = await declarations();
  try {
    return validate(decls, parseConfig(config, decls, label));
  } catch (e) {
    const problems = (e as { problems?: readonly string[] }).problems;
    throw new KnobError(
      problems ? problems.map((p) => (p.startsWith(label) ? p : `${label}: ${p}`)).join('\n') : (e as Error).message,
    );
  }
}

/**
 * Checks a config object for the run time, as Standard checks what the environment (or a profile
 * file) set: its keys and types, then the ranges and invariants of the configuration in force
 * under its own profile, with codegen's functions and words. Unlike checkConfig it does not ask
 * the other profiles to hold as well (a build's configuration must, since Standard can switch
 * profile at run time; a profile chosen at run time cannot switch again). Returns the profile and
 * the values in force.
 */
export async function checkRuntimeConfig(
  label: string,
  config: Record<string, unknown>,
): Promise<{ profile: string; values: Effective }> {
  const decls = await declarations();
  let problems: readonly string[];
  try {
    const user = parseConfig(config, decls, label);
    const profile = user.profile ?? String(knobIndex(decls).get('env.profile')?.default);
    const values = effectiveFor(decls, profile, user);
    problems = checkValues(decls, values);
    if (problems.length === 0) return { profile, values };
  } catch (e) {
    problems = (e as { problems?: readonly string[] }).problems ?? [(e as Error).message];
  }
  throw new KnobError(problems.map((p) => (p.startsWith(label) ? p : `${label}: ${p}`)).join('\n'));
}

/** One knob's setting: its scope, environment variable and the value as the C side parses it. */
export function knobSetting(decls: Declarations, p: string, value: AnyKnobValue): KnobSetting {
  const knob = knobIndex(decls).get(p);
  const owner = decls.boxes.find(
    ({ box }) => p.startsWith(`${box.configPath}.`) && p.slice(box.configPath.length + 1) in box.knobs,
  );
  if (!knob || !owner) throw new KnobError(`${p} is not a knob`);
  const key = p.slice(owner.box.configPath.length + 1);
  return { path: p, value, scope: knob.scope, env: envName(owner.box, key, knob), envValue: envText(knob, value) };
}

/**
 * Parses and validates one side of an A/B (`--a` or `--b`): unknown paths, wrong types, ranges and
 * invariants are refused with codegen's messages. The side's settings go over `base` (the
 * project's hakmem.config.ts); returns the settings and the merged config object to write into
 * a codegen config file.
 */
export async function resolveSide(
  label: string,
  spec: string,
  base: Record<string, unknown> = {},
): Promise<{ settings: KnobSetting[]; config: Record<string, unknown> }> {
  const decls = await declarations();
  const index = knobIndex(decls);
  const pairs = splitSettings(spec).map(([p, text]) => [p, coerceValue(index.get(p), text)] as const);
  const config = deepMerge(base, nestedConfig(pairs));
  await checkConfig(label, config);
  const settings = pairs.map(([p, value]) => knobSetting(decls, p, value as AnyKnobValue));
  return { settings, config };
}
