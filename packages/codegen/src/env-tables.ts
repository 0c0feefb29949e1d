/**
 * The tables the Standard and OBSERVE builds read the environment with (env_box.h, used by
 * native/src/env/env.c): per profile, every run-time knob's value; one row per environment
 * variable; the run-time form of every invariant that reads a run-time knob; and the whole
 * configuration in the order codegen hashes it, so the library can say which configuration is
 * in force after the environment's overrides, with the same hash codegen would give it.
 */
import {
  fillTemplate,
  INVARIANT_FORMS,
  KNOB_KINDS,
  kindOf,
  type AnyKnobValue,
  type InvariantForm,
  type InvariantOp,
  type Knob,
} from '@hakmem/box-kit';
import { DeclarationError } from './errors.ts';
import { envName, snake, upperSnake } from './names.ts';
import type { Validated } from './types.ts';
import { PROFILE_PATH } from './validate.ts';

export const cString = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Where a value comes from (hk_knob_origin_t): its C constant and its words in HAKMEM_VERBOSE=2. */
const ORIGINS = [
  { name: 'HK_ORIGIN_DEFAULT', words: 'default' },
  { name: 'HK_ORIGIN_PROFILE', words: 'profile' },
  { name: 'HK_ORIGIN_CONFIG', words: 'build config' },
  { name: 'HK_ORIGIN_ENV', words: 'environment' },
] as const;
const ORIGIN_CONST: readonly string[] = ORIGINS.map((o) => o.name);
const originConst = (i: number): string => ORIGIN_CONST[i] ?? 'HK_ORIGIN_DEFAULT';

export interface EnvTables {
  /** Per profile: the C assignments setting every run-time knob to its value for that profile. */
  applyCases: { index: number; name: string; assignments: string[] }[];
  /** HK_ENV_KNOB_TABLE rows (every run-time knob but env.profile), as C initialisers. */
  envTable: { text: string }[];
  /** The snapshot definitions, initialised to the build profile's values. */
  snapshots: { type: string; name: string; init: string }[];
  /** The origins of a value (hk_knob_origin_t): C constant and words. */
  origins: readonly { name: string; words: string }[];
  /** The C enum constants of the loader's row kinds (hk_knob_kind_t), in KNOB_KINDS order. */
  rowKinds: { name: string }[];
  /** The C enum constants of the invariant operators, in INVARIANT_FORMS order. */
  invariantOps: { name: string }[];
  /** HK_ENV_INVARIANT_TABLE rows. */
  invariantRows: { text: string; comment: string }[];
  /** HK_ENV_CONFIG_TABLE rows: every knob, sorted by path as configHash sorts them. */
  configRows: { text: string }[];
  /** Where the build's profile comes from (env.profile's origin without HAKMEM_PROFILE). */
  profileOrigin: string;
  /** The longest canonical configuration text the library can build (its buffer size). */
  hashTextMax: number;
}

const opConst = (op: InvariantOp): string => `HK_INV_${upperSnake(op)}`;

interface KnobAt {
  path: string;
  knob: Knob;
  cPrefix: string;
  key: string;
  env: string;
}

/** A problem template as a C format string: the paths filled in, {va} and {vb} as %PRId64, in that order. */
function problemFormat(template: string, form: InvariantForm): string {
  const parts = fillTemplate(template, form)
    .replace(/%/g, '%%')
    .split(/\{(va|vb)\}/);
  const order = parts.filter((_, i) => i % 2 === 1).join(',');
  if (order !== 'va' && order !== 'va,vb')
    throw new Error(`invariant template ${template}: {va} must come first, then {vb}`);
  return parts.map((p, i) => (i % 2 === 1 ? '%" PRId64 "' : p.replace(/\\/g, '\\\\').replace(/"/g, '\\"'))).join('');
}

export function envTables(v: Validated): EnvTables {
  const { decls } = v;
  const knobs: KnobAt[] = decls.boxes.flatMap(({ box }) =>
    Object.entries(box.knobs).map(([key, knob]) => ({
      path: `${box.configPath}.${key}`,
      knob,
      cPrefix: box.cPrefix,
      key,
      env: envName(box, key, knob),
    })),
  );
  const runtime = knobs.filter((k) => k.knob.scope === 'env');
  const rows = runtime.filter((k) => k.path !== PROFILE_PATH);
  const rowOf = new Map(rows.map((k, i) => [k.path, i]));
  const lit = (k: KnobAt, x: AnyKnobValue): string =>
    kindOf(k.knob).cLiteral(x, (e) => `HK_${k.cPrefix.toUpperCase()}_${upperSnake(k.key)}_${upperSnake(e)}`);
  const field = (k: KnobAt): string => `hk_${k.cPrefix}_env.${snake(k.key)}`;
  const valuesOf = (profile: string): ReadonlyMap<string, AnyKnobValue> => {
    const vals = v.effective.get(profile);
    if (!vals) throw new Error(`no effective values for profile ${profile}`);
    return vals;
  };
  const build = valuesOf(v.profile);
  const originOf = (path: string, profile: string): number => {
    if (v.config.overrides.has(path)) return 2;
    const p = decls.profiles.find((x) => x.name === profile);
    return p && path in p.overrides ? 1 : 0;
  };

  const applyCases = decls.profiles.map((p, index) => {
    const vals = valuesOf(p.name);
    return {
      index,
      name: p.name,
      assignments: runtime.map((k) => `${field(k)} = ${lit(k, vals.get(k.path) ?? k.knob.default)};`),
    };
  });

  const envTable = rows.map((k) => {
    const kind = kindOf(k.knob);
    if (!kind.envRow)
      throw new DeclarationError([`${k.path}: a ${kind.label} knob cannot be read from the environment`]);
    const [min, max] = kind.envRange(k.knob);
    const names = k.knob.kind === 'enum' ? `hk_${k.cPrefix}_${snake(k.key)}_names` : 'NULL';
    const count = k.knob.kind === 'enum' ? k.knob.values.length : 0;
    const origins = decls.profiles.map((p) => originConst(originOf(k.path, p.name))).join(', ');
    return {
      text: `{${cString(k.env)}, ${cString(k.path)}, ${kind.envRow}, ${min}, ${max}, ${names}, ${count}, &${field(k)}, ${k.knob.diagnostic ? 'true' : 'false'}, {${origins}}}`,
    };
  });

  const snapshots = decls.boxes
    .map(({ box }) => ({ box, env: runtime.filter((k) => k.cPrefix === box.cPrefix) }))
    .filter((b) => b.env.length > 0)
    .map(({ box, env }) => ({
      type: `hk_${box.cPrefix}_env_t`,
      name: `hk_${box.cPrefix}_env`,
      init: env.map((k) => `.${snake(k.key)} = ${lit(k, build.get(k.path) ?? k.knob.default)}`).join(', '),
    }));

  // An operand: its row, or -1 and the build's value (a build-time knob cannot change at run time).
  const operand = (path: string | undefined): [number, string] => {
    if (path === undefined) return [-1, '0'];
    const row = rowOf.get(path);
    return row === undefined ? [-1, String(build.get(path) ?? 0)] : [row, '0'];
  };
  const invariantRows = decls.boxes.flatMap(({ box }) =>
    box.invariants
      .filter((inv) => inv.paths.some((p) => rowOf.has(p)))
      .map((inv) => {
        const form = inv.form;
        if (!form) throw new Error(`invariant ${inv.name} reads a run-time knob but has no structured form`);
        const [a, av] = operand(form.a);
        const [b, bv] = operand(form.b);
        const fmt = problemFormat(INVARIANT_FORMS[form.op].problem, form);
        return {
          comment: inv.name,
          text: `{${opConst(form.op)}, ${a}, ${av}, ${b}, ${bv}, ${form.n ?? 0}, ${form.lo ?? 0}, ${form.hi ?? 0}, "${fmt}"}`,
        };
      }),
  );

  let hashTextMax = `["",[]]`.length + Math.max(...decls.profiles.map((p) => p.name.length));
  const sorted = [...knobs].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  const configRows = sorted.map((k, i) => {
    const row = k.path === PROFILE_PATH ? -2 : (rowOf.get(k.path) ?? -1);
    const fixed = row === -1 || k.knob.diagnostic === true;
    const json = fixed ? JSON.stringify(build.get(k.path) ?? k.knob.default) : undefined;
    const longest = json?.length ?? kindOf(k.knob).jsonWidth(k.knob);
    hashTextMax += (i ? 1 : 0) + `["${k.path}",]`.length + longest;
    return {
      text: `{${cString(k.path)}, ${row}, ${json === undefined ? 'NULL' : cString(json)}, ${originConst(originOf(k.path, v.profile))}}`,
    };
  });
  const profileOrigin = originConst(v.config.profile !== undefined ? 2 : 0);

  return {
    applyCases,
    envTable,
    snapshots,
    origins: ORIGINS,
    rowKinds: Object.values(KNOB_KINDS).flatMap((k) => (k.envRow ? [{ name: k.envRow }] : [])),
    invariantOps: (Object.keys(INVARIANT_FORMS) as InvariantOp[]).map((op) => ({ name: opConst(op) })),
    invariantRows,
    configRows,
    profileOrigin,
    hashTextMax: hashTextMax + 1,
  };
}
