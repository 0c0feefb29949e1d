import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { kindOf, type AnyKnobValue, type Knob } from '@hakmem/box-kit';
import { ConfigError } from './errors.ts';
import { repoRelative, repoRoot } from './paths.ts';
import type { Declarations, UserConfig } from './types.ts';

/** Why a value does not fit a knob's kind, or undefined when it does (ranges are checked later). */
export const typeProblem = (knob: Knob, value: unknown): string | undefined => kindOf(knob).typeProblem(knob, value);

/** Full knob path -> knob, for every box. */
export function knobIndex(decls: Declarations): Map<string, Knob> {
  const index = new Map<string, Knob>();
  for (const { box } of decls.boxes) {
    for (const [key, knob] of Object.entries(box.knobs)) index.set(`${box.configPath}.${key}`, knob);
  }
  return index;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a config object's shape against the declarations: unknown keys (named by path) and
 * wrongly typed values are errors. Returns the overrides keyed by full knob path.
 */
export function parseConfig(raw: unknown, decls: Declarations, file: string | undefined): UserConfig {
  const where = file ?? 'config';
  const problems: string[] = [];
  const knobs = knobIndex(decls);
  const profileNames = decls.profiles.map((p) => p.name);
  const prefixes = new Set<string>();
  for (const { box } of decls.boxes) {
    const parts = box.configPath.split('.');
    for (let i = 1; i < parts.length; i++) prefixes.add(parts.slice(0, i).join('.'));
    prefixes.add(box.configPath);
  }
  const overrides = new Map<string, AnyKnobValue>();
  let profile: string | undefined;

  const walk = (obj: Record<string, unknown>, at: string): void => {
    for (const [key, value] of Object.entries(obj)) {
      const p = at ? `${at}.${key}` : key;
      if (value === undefined) continue;
      if (p === 'profile') {
        if (typeof value === 'string' && profileNames.includes(value)) profile = value;
        else
          problems.push(
            `${where}: profile: expected one of ${profileNames.map((n) => `'${n}'`).join(', ')}, got ${JSON.stringify(value)}`,
          );
        continue;
      }
      if (p === 'env.profile') {
        problems.push(`${where}: env.profile: set the build's profile with the top-level key \`profile\``);
        continue;
      }
      const knob = knobs.get(p);
      if (knob) {
        const bad = typeProblem(knob, value);
        if (bad) problems.push(`${where}: ${p}: ${bad}`);
        else overrides.set(p, value as AnyKnobValue);
        continue;
      }
      if (prefixes.has(p)) {
        if (isPlainObject(value)) walk(value, p);
        else problems.push(`${where}: ${p}: expected an object of knobs, got ${JSON.stringify(value)}`);
        continue;
      }
      const known = [
        ...new Set(
          [...knobs.keys(), ...prefixes, 'profile']
            .filter((k) => k !== 'env.profile')
            .filter((k) => (at ? k.startsWith(`${at}.`) && !k.slice(at.length + 1).includes('.') : !k.includes('.')))
            .map((k) => (at ? k.slice(at.length + 1) : k)),
        ),
      ];
      problems.push(`${where}: unknown key ${p} (known here: ${known.join(', ')})`);
    }
  };
  if (!isPlainObject(raw)) problems.push(`${where}: the default export must be an object (use defineConfig({...}))`);
  else walk(raw, '');
  if (problems.length > 0) throw new ConfigError(problems);
  return { file, profile, overrides };
}

/** The config file to use: the explicit one, else hakmem.config.ts at the repo root if present. */
export function resolveConfigFile(explicit: string | undefined, root: string = repoRoot): string | undefined {
  if (explicit !== undefined) return path.resolve(explicit);
  const def = path.join(root, 'hakmem.config.ts');
  return existsSync(def) ? def : undefined;
}

/** Loads a config file by dynamic import (TypeScript through tsx) and checks its shape. */
export async function loadConfig(file: string | undefined, decls: Declarations): Promise<UserConfig> {
  if (file === undefined) return { file: undefined, profile: undefined, overrides: new Map() };
  const shown = path.isAbsolute(file) && file.startsWith(repoRoot) ? repoRelative(file) : file;
  if (!existsSync(file)) throw new ConfigError([`config file ${shown} does not exist`]);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    throw new ConfigError([`${shown}: cannot be loaded: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (mod.default === undefined)
    throw new ConfigError([`${shown}: has no default export (export default defineConfig({...}))`]);
  return parseConfig(mod.default, decls, shown);
}
