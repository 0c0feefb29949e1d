import { kindOf, type AnyKnobValue, type ConfigView } from '@hakmem/box-kit';
import { DeclarationError, ValidationError } from './errors.ts';
import type { Invariant, Knob } from '@hakmem/box-kit';
import { knobIndex, typeProblem } from './load-config.ts';
import { envName } from './names.ts';
import type { Declarations, Effective, UserConfig, Validated } from './types.ts';

/** The knob holding the run-time profile selection. */
export const PROFILE_PATH = 'env.profile';

/** Checks the declarations themselves: unique names, profiles that match env.profile, sound invariants. */
export function validateDeclarations(decls: Declarations): void {
  const problems: string[] = [];
  const knobs = knobIndex(decls);
  const seenEnv = new Map<string, string>();
  const seenPrefix = new Map<string, string>();
  const seenPath = new Map<string, string>();
  for (const { box, file } of decls.boxes) {
    for (const [what, key, seen] of [
      ['C prefix', box.cPrefix, seenPrefix],
      ['config path', box.configPath, seenPath],
    ] as const) {
      const other = seen.get(key);
      if (other) problems.push(`${file}: ${what} ${key} of box ${box.name} is also used by box ${other}`);
      seen.set(key, box.name);
    }
    for (const [key, knob] of Object.entries(box.knobs)) {
      const env = envName(box, key, knob);
      const path = `${box.configPath}.${key}`;
      const other = seenEnv.get(env);
      if (other)
        problems.push(
          `${file}: environment name ${env} of ${path} is also used by ${other}; every environment name must be unique`,
        );
      seenEnv.set(env, path);
      const kind = kindOf(knob);
      if (knob.scope === 'env' && !kind.runtime)
        problems.push(`${file}: ${path}: ${kind.label} knobs are build-time only (scope 'const')`);
      if (knob.diagnostic && knob.scope !== 'env')
        problems.push(`${file}: ${path}: only a run-time knob (scope 'env') can be diagnostic`);
    }
    for (const inv of box.invariants) problems.push(...invariantProblems(file, inv, knobs));
  }
  const profileKnob = knobs.get(PROFILE_PATH);
  const names = decls.profiles.map((p) => p.name);
  if (!profileKnob || profileKnob.kind !== 'enum') {
    problems.push(
      `the box with config path env must declare an enum knob \`profile\` listing the profiles (${names.join(', ')})`,
    );
  } else if (profileKnob.values.join(',') !== names.join(',')) {
    problems.push(
      `${decls.profilesFile}: profiles (${names.join(', ')}) must be the values of env.profile, in order (${profileKnob.values.join(', ')})`,
    );
  }
  for (const profile of decls.profiles) {
    for (const [p, value] of Object.entries(profile.overrides)) {
      const knob = knobs.get(p);
      if (!knob) problems.push(`${decls.profilesFile}: profile ${profile.name}: unknown knob ${p}`);
      else if (p === PROFILE_PATH) problems.push(`${decls.profilesFile}: profile ${profile.name}: cannot set ${p}`);
      else {
        const bad = typeProblem(knob, value);
        if (bad) problems.push(`${decls.profilesFile}: profile ${profile.name}: ${p}: ${bad}`);
      }
    }
  }
  if (problems.length > 0) throw new DeclarationError(problems);
}

/**
 * What is wrong with an invariant's declaration: a path that is not a knob; a free-form rule
 * over a run-time knob (the Standard build checks invariants at run time too, and can only
 * evaluate the structured forms); a structured form over a knob that is not a number or is
 * diagnostic; an atLeast that the knob's own range already guarantees.
 */
function invariantProblems(file: string, inv: Invariant, knobs: ReadonlyMap<string, Knob>): string[] {
  const problems: string[] = [];
  const missing = inv.paths.filter((p) => !knobs.has(p));
  for (const p of missing) problems.push(`${file}: invariant "${inv.name}" reads ${p}, which is not a knob`);
  if (missing.length > 0) return problems;
  const runtime = inv.paths.filter((p) => knobs.get(p)?.scope === 'env');
  if (!inv.form) {
    if (runtime.length > 0) {
      problems.push(
        `${file}: invariant "${inv.name}" is a free-form rule() over the run-time knob ${runtime.join(', ')}, which Standard cannot check at run time; ` +
          "write it with atMost, lessThan, atLeast, powerOfTwo, multipleOf or ratioWithin, or make the knobs build-time (scope 'const')",
      );
    }
    return problems;
  }
  for (const p of inv.paths) {
    const knob = knobs.get(p);
    if (knob && !kindOf(knob).numeric)
      problems.push(
        `${file}: invariant "${inv.name}" compares ${p}, a ${kindOf(knob).label} knob; only int and bytes knobs can be compared`,
      );
    if (knob?.diagnostic)
      problems.push(
        `${file}: invariant "${inv.name}" reads ${p}, a diagnostic knob, which never takes part in an invariant`,
      );
  }
  const a = knobs.get(inv.form.a);
  if (inv.form.op === 'atLeast' && a && 'min' in a && a.min >= (inv.form.n ?? 0)) {
    problems.push(`${file}: invariant "${inv.name}" repeats the range of ${inv.form.a} (min ${a.min}); remove it`);
  }
  return problems;
}

/** defaults <- profile <- user config, with env.profile set to the profile. */
export function effectiveFor(decls: Declarations, profileName: string, user: UserConfig): Map<string, AnyKnobValue> {
  const values = new Map<string, AnyKnobValue>();
  for (const { box } of decls.boxes) {
    for (const [key, knob] of Object.entries(box.knobs)) values.set(`${box.configPath}.${key}`, knob.default);
  }
  const profile = decls.profiles.find((p) => p.name === profileName);
  for (const [p, v] of Object.entries(profile?.overrides ?? {})) values.set(p, v);
  for (const [p, v] of user.overrides) values.set(p, v);
  if (values.has(PROFILE_PATH)) values.set(PROFILE_PATH, profileName);
  return values;
}

export function configView(values: Effective): ConfigView {
  const get = (path: string): AnyKnobValue => {
    const v = values.get(path);
    if (v === undefined) throw new Error(`no knob ${path}`);
    return v;
  };
  return {
    get,
    num: (path) => {
      const v = get(path);
      if (typeof v !== 'number') throw new Error(`knob ${path} is not a number`);
      return v;
    },
    list: (path) => {
      const v = get(path);
      if (!Array.isArray(v)) throw new Error(`knob ${path} is not a list`);
      return v as readonly number[];
    },
  };
}

/** Range and invariant problems of one set of effective values, one line each. */
export function checkValues(decls: Declarations, values: Effective): string[] {
  const problems: string[] = [];
  const view = configView(values);
  for (const { box } of decls.boxes) {
    for (const [key, knob] of Object.entries(box.knobs)) {
      const path = `${box.configPath}.${key}`;
      problems.push(...kindOf(knob).rangeProblems(path, knob, view.get(path)));
    }
  }
  for (const { box } of decls.boxes) {
    for (const inv of box.invariants) problems.push(...inv.check(view));
  }
  return problems;
}

/**
 * Merges defaults <- profile <- user config for the build's profile and for every other profile
 * (Standard can switch profile at run time) and checks ranges and invariants. Problems of a
 * non-selected profile are prefixed `profile <name>: ` unless already reported for the build's.
 */
export function validate(decls: Declarations, user: UserConfig): Validated {
  validateDeclarations(decls);
  // validateDeclarations made env.profile an enum whose values are the profiles
  const profile = user.profile ?? String(knobIndex(decls).get(PROFILE_PATH)?.default);
  const effective = new Map<string, Effective>(decls.profiles.map((p) => [p.name, effectiveFor(decls, p.name, user)]));
  const problems = checkValues(decls, effectiveFor(decls, profile, user));
  const reported = new Set(problems);
  for (const [name, values] of effective) {
    if (name === profile) continue;
    for (const line of checkValues(decls, values)) if (!reported.has(line)) problems.push(`profile ${name}: ${line}`);
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return { decls, config: user, profile, effective };
}
