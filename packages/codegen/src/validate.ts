import type { AnyKnobValue, ConfigView, Knob } from '@hakmem/box-kit';
import { DeclarationError, ValidationError } from './errors.ts';
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
      if (other) problems.push(`${file}: environment name ${env} of ${path} is also used by ${other}; every environment name must be unique`);
      seenEnv.set(env, path);
      if (knob.kind === 'intList' && knob.scope !== 'const') problems.push(`${file}: ${path}: list knobs are build-time only (scope 'const')`);
    }
    for (const inv of box.invariants) {
      for (const p of inv.paths) {
        if (!knobs.has(p)) problems.push(`${file}: invariant "${inv.name}" reads ${p}, which is not a knob`);
      }
    }
  }
  const profileKnob = knobs.get(PROFILE_PATH);
  const names = decls.profiles.map((p) => p.name);
  if (!profileKnob || profileKnob.kind !== 'enum') {
    problems.push(`the box with config path env must declare an enum knob \`profile\` listing the profiles (${names.join(', ')})`);
  } else if (profileKnob.values.join(',') !== names.join(',')) {
    problems.push(`${decls.profilesFile}: profiles (${names.join(', ')}) must be the values of env.profile, in order (${profileKnob.values.join(', ')})`);
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

function rangeProblem(path: string, knob: Knob, value: AnyKnobValue): string[] {
  if (knob.kind === 'int' || knob.kind === 'bytes') {
    const v = value as number;
    return v >= knob.min && v <= knob.max ? [] : [`${path} = ${v} must be in [${knob.min}, ${knob.max}]`];
  }
  if (knob.kind === 'intList') {
    const list = value as readonly number[];
    if (list.length === 0) return [`${path} must not be empty`];
    return list.flatMap((v, i) =>
      v >= knob.min && v <= knob.max ? [] : [`${path}[${i}] = ${v} must be in [${knob.min}, ${knob.max}]`],
    );
  }
  return [];
}

/** Range and invariant problems of one set of effective values, one line each. */
export function checkValues(decls: Declarations, values: Effective): string[] {
  const problems: string[] = [];
  const view = configView(values);
  for (const { box } of decls.boxes) {
    for (const [key, knob] of Object.entries(box.knobs)) {
      const path = `${box.configPath}.${key}`;
      problems.push(...rangeProblem(path, knob, view.get(path)));
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
  const profileKnob = knobIndex(decls).get(PROFILE_PATH);
  const profile = user.profile ?? String(profileKnob?.default ?? decls.profiles[0]?.name ?? '');
  const effective = new Map<string, Effective>();
  for (const p of decls.profiles) effective.set(p.name, effectiveFor(decls, p.name, user));
  const buildValues = effective.get(profile) ?? effectiveFor(decls, profile, user);
  const problems = checkValues(decls, buildValues);
  const reported = new Set(problems);
  for (const p of decls.profiles) {
    if (p.name === profile) continue;
    for (const line of checkValues(decls, effective.get(p.name) ?? new Map())) {
      if (!reported.has(line)) problems.push(`profile ${p.name}: ${line}`);
    }
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return { decls, config: user, profile, effective };
}
