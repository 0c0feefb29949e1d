/**
 * The declarations as data: per box package, every knob (kind, scope, environment variable,
 * default, range or values), invariant and counter. Two uses:
 *
 * - native/generated/manifest.json (written by codegen, installed as share/hakmem/manifest.json):
 *   every package with its version, the build's profile, configuration hash and each knob's
 *   effective value;
 * - packages/box-<name>/declaration.json (written at release by `npm run release`): the
 *   declaration as released, which the changeset check compares the current one against to
 *   say which version bump a change needs.
 */
import type { AnyKnobValue } from '@hakmem/box-kit';
import { configHash } from './model.ts';
import { envName, shortPackage } from './names.ts';
import type { Declarations, Validated } from './types.ts';

export interface KnobDeclaration {
  kind: string;
  scope: string;
  /** The environment variable (run-time knobs only). */
  env?: string;
  default: AnyKnobValue;
  min?: number;
  max?: number;
  values?: readonly string[];
}

export interface PackageDeclaration {
  /** npm package name, e.g. @hakmem/box-front. */
  package: string;
  version: string;
  /** Box names the package declares. */
  boxes: string[];
  /** Full knob path -> declaration, in declaration order. */
  knobs: Record<string, KnobDeclaration>;
  invariants: { name: string; rule: string }[];
  /** Full counter path -> shape. */
  counters: Record<string, { perClass: boolean }>;
}

/** One declaration per box package (short name, e.g. box-front), in box order. */
export function packageDeclarations(decls: Declarations): Map<string, PackageDeclaration> {
  const out = new Map<string, PackageDeclaration>();
  for (const { box } of decls.boxes) {
    const key = shortPackage(box.packageName);
    let d = out.get(key);
    if (!d) {
      d = { package: box.packageName, version: box.version, boxes: [], knobs: {}, invariants: [], counters: {} };
      out.set(key, d);
    }
    d.boxes.push(box.name);
    for (const [name, knob] of Object.entries(box.knobs)) {
      const k = { kind: knob.kind, scope: knob.scope } as KnobDeclaration; // key order: kind, scope, env, default, range
      if (knob.scope === 'env') k.env = envName(box, name, knob);
      k.default = knob.default;
      if ('min' in knob) k.min = knob.min;
      if ('max' in knob) k.max = knob.max;
      if (knob.kind === 'enum') k.values = knob.values;
      d.knobs[`${box.configPath}.${name}`] = k;
    }
    for (const inv of box.invariants) d.invariants.push({ name: inv.name, rule: inv.rule });
    for (const [name, c] of Object.entries(box.counters))
      d.counters[`${box.configPath}.${name}`] = { perClass: c.perClass };
  }
  return out;
}

/** The text of a declaration.json (stable key order, trailing newline). */
export const declarationJson = (d: PackageDeclaration): string => `${JSON.stringify(d, null, 2)}\n`;

/** native/generated/manifest.json: the build's profile and hash, every package, knob default and effective value. */
export function buildManifestJson(v: Validated, generatorVersion: string): string {
  const values = v.effective.get(v.profile);
  if (!values) throw new Error(`no effective values for profile ${v.profile}`);
  const packages = [...packageDeclarations(v.decls).values()].map((d) => ({
    ...d,
    knobs: Object.fromEntries(
      Object.entries(d.knobs).map(([path, k]) => [path, { ...k, value: values.get(path) ?? k.default }]),
    ),
  }));
  const manifest = {
    format: 1,
    profile: v.profile,
    configHash: configHash(v.profile, values),
    codegen: generatorVersion,
    packages,
    profiles: Object.fromEntries(v.decls.profiles.map((p) => [p.name, p.overrides])),
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
