/**
 * `hakmem tune`'s search space: which knobs it searches (every run-time knob by default, or
 * globs), the values it tries for each (from the knob's declared kind and range: both values of
 * a bool, every value of an enum, a log-scale grid for byte sizes and counts), and candidates
 * drawn from them, each checked with codegen's own validation (ranges and invariants, through
 * knobs.ts) before anything runs: what the allocator would refuse never runs.
 */
import type { AnyKnobValue, Knob } from '@hakmem/box-kit';
import { configHash, knobIndex, type Declarations } from '@hakmem/codegen';
import picomatch from 'picomatch';
import { shuffle } from 'simple-statistics';
import {
  checkConfig,
  checkRuntimeConfig,
  deepMerge,
  KnobError,
  knobSetting,
  nestedConfig,
  type KnobSetting,
} from '../bench/knobs.ts';
import { UsageError, splitList } from '../bench/workloads.ts';

/** The knob that chooses the profile: in a config object it is the top-level key `profile`. */
export const PROFILE_PATH = 'env.profile';

/**
 * Run-time knobs left out of the default space, and why: they are searched only when a --knobs
 * entry names them exactly. env.onInvalid only says what a detected misuse does, never how
 * memory is managed; a profile must not turn the checks off to win a benchmark.
 */
export const EXCLUDED_BY_DEFAULT: Readonly<Record<string, string>> = {
  'env.onInvalid': 'it only says what a detected misuse does (a profile must not turn the checks off)',
};

/** One knob of the space. */
export interface SpaceKnob {
  path: string;
  kind: Knob['kind'];
  scope: 'env' | 'const';
  /** HAKMEM_* (run-time knobs; build-time knobs have one too, unused). */
  env: string;
  /** Its value in the control: the build's configuration (hakmem.config.ts over the defaults and its profile). */
  base: AnyKnobValue;
  /** The values tried, the base left out, ascending (numbers) or in declaration order. */
  values: AnyKnobValue[];
}

/** A configuration to try: overrides of the control's values, by knob path. */
export interface Candidate {
  id: string;
  overrides: Record<string, AnyKnobValue>;
  settings: KnobSetting[];
  /** The HAKMEM_* variables that set its run-time knobs. */
  env: Record<string, string>;
  /** The config object codegen reads (hakmem.config.ts over the project's), for a build and the fragment. */
  config: Record<string, unknown>;
  /** Whether it changes a build-time knob (it then needs a library of its own). */
  buildTime: boolean;
  /** The hash codegen gives its configuration (what HAKMEM_VERBOSE=1 names under it). */
  configHash: string;
}

/** A candidate codegen refused, with codegen's own lines. */
export interface RefusedCandidate {
  overrides: Record<string, AnyKnobValue>;
  problems: string[];
}

const MAX_GRID = 10;

/** A seeded random source in [0, 1) (mulberry32), so that a tune can be repeated with --seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The values tried for a numeric knob in [min, max] whose control value is `base`: a geometric
 * grid of powers of two over the positive part of the range (at most MAX_GRID points, the step
 * doubling until they fit), the range's ends, 0 and -1 when the range holds them (off / never),
 * and the base's neighbours (a quarter, half, twice, four times). Byte sizes and counts alike:
 * both are searched on a log scale. A range of at most 16 values is tried whole.
 */
export function numericGrid(min: number, max: number, base: number): number[] {
  const out = new Set<number>();
  if (max - min <= 16) {
    for (let v = min; v <= max; v++) out.add(v);
  } else {
    for (const v of [-1, 0]) if (v >= min && v <= max) out.add(v);
    const lo = Math.max(min, 1);
    const span = Math.log2(max / lo);
    const step = Math.max(1, Math.ceil(span / (MAX_GRID - 1)));
    for (let e = 0; e <= span; e += step) out.add(Math.min(max, Math.round(lo * 2 ** e)));
    out.add(max);
    if (base > 0) for (const f of [0.25, 0.5, 2, 4]) out.add(Math.round(base * f));
  }
  out.delete(base);
  return [...out].filter((v) => Number.isSafeInteger(v) && v >= min && v <= max).sort((a, b) => a - b);
}

/** The values tried for one knob (its base left out). */
export function knobValues(knob: Knob, base: AnyKnobValue, path: string): AnyKnobValue[] {
  switch (knob.kind) {
    case 'bool':
      return [!base];
    case 'enum':
      // the hardened profile differs from balanced only in a build-time knob: not a run-time choice
      return knob.values.filter((v) => v !== base && !(path === PROFILE_PATH && v === 'hardened'));
    case 'int':
    case 'bytes':
      return numericGrid(knob.min, knob.max, base as number);
    default:
      return [];
  }
}

function matcher(patterns: readonly string[]): (p: string) => boolean {
  return picomatch(patterns as string[], { dot: true });
}

export interface SpaceOptions {
  /** --knobs: run-time knob globs (undefined: every run-time knob, unless --build-knobs alone is given). */
  knobs?: string;
  /** --build-knobs: build-time knob globs (undefined: none). */
  buildKnobs?: string;
  log?: (line: string) => void;
}

/**
 * The knobs searched, with the values tried for each. `base` holds the control's value of every
 * knob. A glob that matches no searchable knob, a build-time knob in --knobs or a run-time one in
 * --build-knobs is a usage error naming what is allowed.
 */
export function searchSpace(
  decls: Declarations,
  base: ReadonlyMap<string, AnyKnobValue>,
  o: SpaceOptions = {},
): SpaceKnob[] {
  const index = knobIndex(decls);
  const all = [...index.entries()];
  const runtime = all.filter(([, k]) => k.scope === 'env' && !k.diagnostic).map(([p]) => p);
  const buildTime = all.filter(([, k]) => k.scope === 'const').map(([p]) => p);
  const picked = new Set<string>();
  const pick = (flag: string, list: string | undefined, allowed: readonly string[], other: readonly string[]) => {
    for (const pattern of splitList(list ?? '')) {
      const exact = index.get(pattern);
      if (exact?.diagnostic)
        throw new UsageError(`${flag} ${pattern}: it only chooses what is reported and cannot change a score`);
      if (exact && other.includes(pattern))
        throw new UsageError(
          `${flag} ${pattern}: a ${exact.scope === 'const' ? 'build-time' : 'run-time'} knob; name it with ${flag === '--knobs' ? '--build-knobs' : '--knobs'}`,
        );
      const isMatch = matcher([pattern]);
      const found = allowed.filter((p) => p === pattern || (isMatch(p) && !(p in EXCLUDED_BY_DEFAULT)));
      if (found.length === 0)
        throw new UsageError(`${flag} ${pattern} matches no knob it can search; they are: ${allowed.join(', ')}`);
      for (const p of found) picked.add(p);
    }
  };
  const runtimeDefault = o.knobs ?? (o.buildKnobs ? '' : '*');
  pick('--knobs', runtimeDefault, runtime, buildTime);
  pick('--build-knobs', o.buildKnobs, buildTime, runtime);
  const space: SpaceKnob[] = [];
  for (const p of picked) {
    const knob = index.get(p)!;
    if (knob.kind === 'intList') {
      o.log?.(`tune: leaving out ${p}: a list of sizes is not searched (give the lists to try with hakmem ab)`);
      continue;
    }
    const b = base.get(p);
    if (b === undefined) throw new Error(`no control value for ${p}`);
    const values = knobValues(knob, b, p);
    if (values.length === 0) continue;
    space.push({ path: p, kind: knob.kind, scope: knob.scope, env: knobSetting(decls, p, b).env, base: b, values });
  }
  return space.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The config object for a set of overrides over the project's: env.profile becomes the top-level `profile`. */
export function candidateConfig(
  project: Record<string, unknown>,
  overrides: Readonly<Record<string, AnyKnobValue>>,
): Record<string, unknown> {
  const { [PROFILE_PATH]: profile, ...rest } = overrides;
  const merged = deepMerge(project, nestedConfig(Object.entries(rest)));
  return profile === undefined ? merged : { ...merged, profile };
}

/**
 * Checks a set of overrides with codegen's own validation and, when it passes, makes the
 * candidate: its settings (HAKMEM_* variables), its config object and its config hash. A
 * candidate of run-time knobs is checked as Standard checks the environment (the ranges and
 * invariants of the configuration in force under its profile: what the allocator would refuse);
 * one that changes a build-time knob is built, so it is checked as a build's configuration is
 * (every profile). Throws a KnobError with codegen's lines when it does not pass.
 */
export async function makeCandidate(
  decls: Declarations,
  project: Record<string, unknown>,
  id: string,
  overrides: Record<string, AnyKnobValue>,
): Promise<Candidate> {
  const config = candidateConfig(project, overrides);
  const settings = Object.entries(overrides)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([p, value]) => knobSetting(decls, p, value));
  const buildTime = settings.some((s) => s.scope === 'const');
  let hash: string;
  if (buildTime) {
    const v = await checkConfig(id, config);
    hash = configHash(v.profile, v.effective.get(v.profile)!);
  } else {
    const v = await checkRuntimeConfig(id, config);
    hash = configHash(v.profile, v.values);
  }
  const env = Object.fromEntries(settings.filter((s) => s.scope === 'env').map((s) => [s.env, s.envValue]));
  return { id, overrides, settings, env, config, buildTime, configHash: hash };
}

const keyOf = (o: Readonly<Record<string, AnyKnobValue>>) =>
  JSON.stringify(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));

/** Every distinct set of overrides the space holds, when there are at most `limit` (else null). */
function enumerate(space: readonly SpaceKnob[], limit: number): Record<string, AnyKnobValue>[] | null {
  let total = 1;
  for (const k of space) {
    total *= k.values.length + 1;
    if (total - 1 > limit) return null;
  }
  let sets: Record<string, AnyKnobValue>[] = [{}];
  for (const k of space) sets = sets.flatMap((s) => [s, ...k.values.map((v) => ({ ...s, [k.path]: v }))]);
  return sets.filter((s) => Object.keys(s).length > 0);
}

export interface DrawOptions {
  count: number;
  seed: number;
  /** The most knobs one candidate changes (default 3). */
  maxKnobs?: number;
}

/**
 * Draws up to `count` distinct candidates from the space, each validated by codegen: half of them
 * change one knob (one value of one knob each, in a seeded random order), the rest two to
 * `maxKnobs` knobs at random values. A small space is enumerated whole. Candidates codegen refuses
 * are returned apart, with its lines, and never run; drawing stops after a bounded number of
 * tries, so a space with few valid points gives fewer candidates.
 */
export async function drawCandidates(
  decls: Declarations,
  project: Record<string, unknown>,
  space: readonly SpaceKnob[],
  o: DrawOptions,
): Promise<{ candidates: Candidate[]; refused: RefusedCandidate[] }> {
  const random = seededRandom(o.seed);
  const maxKnobs = Math.max(1, Math.min(o.maxKnobs ?? 3, space.length));
  const candidates: Candidate[] = [];
  const refused: RefusedCandidate[] = [];
  const seen = new Set<string>();
  const tryOne = async (overrides: Record<string, AnyKnobValue>) => {
    const key = keyOf(overrides);
    if (seen.has(key) || Object.keys(overrides).length === 0) return;
    seen.add(key);
    try {
      candidates.push(await makeCandidate(decls, project, `c${candidates.length + 1}`, overrides));
    } catch (e) {
      if (!(e instanceof KnobError)) throw e;
      refused.push({ overrides, problems: e.message.split('\n').map((l) => l.replace(/^c\d+: /, '')) });
    }
  };
  const whole = enumerate(space, 4 * o.count);
  if (whole) {
    // small enough to try everything: one-knob changes first, then the combinations
    const ordered = shuffle(whole, random).sort((a, b) => Object.keys(a).length - Object.keys(b).length);
    for (const s of ordered) {
      if (candidates.length >= o.count) break;
      await tryOne(s);
    }
    return { candidates, refused };
  }
  const singles = shuffle(
    space.flatMap((k) => k.values.map((v) => ({ [k.path]: v }))),
    random,
  );
  const singleShare = Math.ceil(o.count / 2);
  for (const s of singles) {
    if (candidates.length >= singleShare) break;
    await tryOne(s);
  }
  for (let tries = 0; candidates.length < o.count && tries < 20 * o.count; tries++) {
    const n = 2 + Math.floor(random() * (maxKnobs - 1));
    const knobs = shuffle([...space], random).slice(0, Math.max(1, n));
    await tryOne(Object.fromEntries(knobs.map((k) => [k.path, k.values[Math.floor(random() * k.values.length)]!])));
  }
  return { candidates, refused };
}

/** "unifiedCache.capacity=1024 superslab.releaseMode=decommit" (or "the default"). */
export function describeOverrides(o: Readonly<Record<string, AnyKnobValue>>): string {
  const parts = Object.entries(o)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([p, v]) => `${p}=${Array.isArray(v) ? v.join(';') : String(v)}`);
  return parts.length ? parts.join(' ') : 'the default';
}
