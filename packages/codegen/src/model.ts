import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AnyKnobValue, Knob } from '@hakmem/box-kit';
import { envName, shortPackage, snake, upperSnake } from './names.ts';
import { sizeClasses, type SizeClasses } from './size-classes.ts';
import type { Effective, Mode, SourcedBox, Validated } from './types.ts';
import { PROFILE_PATH } from './validate.ts';

const GENERATOR = '@hakmem/codegen';
export const GENERATOR_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const FRONT_GATE = 'front.gate';
const ENV_GATE = 'env';

export interface KnobModel {
  key: string;
  path: string;
  doc: string;
  docC: string;
  kind: Knob['kind'];
  scope: Knob['scope'];
  isEnv: boolean;
  isConst: boolean;
  isList: boolean;
  isEnum: boolean;
  env: string;
  field: string;
  macro: string;
  fn: string;
  cType: string;
  literal: string;
  accessor: string;
  enumType: string;
  enumConsts: { name: string; value: number }[];
  namesArray: string;
  namesInit: string;
  listInit: string;
  listCount: number;
  defaultText: string;
  allowedText: string;
  typeText: string;
}

export interface CounterModel {
  name: string;
  decl: string;
  len: string;
  doc: string;
  docC: string;
  docString: string;
}

export interface BoxModel {
  name: string;
  file: string;
  guard: string;
  banner: string;
  source: string;
  p: string;
  P: string;
  version: string;
  packageName: string;
  configPath: string;
  docC: string;
  doc: string;
  includes: string[];
  knobs: KnobModel[];
  envKnobs: KnobModel[];
  enumKnobs: KnobModel[];
  counters: CounterModel[];
  hasCounters: boolean;
  invariants: { name: string; rule: string }[];
}

export interface ApplyCase {
  index: number;
  name: string;
  assignments: string[];
}

export interface EnvTableRow {
  text: string;
}

export interface Model {
  mode: Mode;
  fast: boolean;
  standard: boolean;
  observe: boolean;
  envRuntime: boolean;
  profile: string;
  profileIndex: number;
  configHash: string;
  configFile: string;
  buildBanner: string;
  docsBanner: string;
  versions: { macro: string; name: string; version: string }[];
  versionsString: string;
  /** The version of @hakmem/codegen that generated the headers (recorded in the library's manifest). */
  generatorVersion: string;
  boxes: BoxModel[];
  frontGate: BoxModel | undefined;
  classes: SizeClasses & { sizesInit: string; tinyIndexInit: string; midIndexInit: string; tinyIndexLen: string; midIndexLen: string };
  profiles: { name: string; doc: string; index: number; overrides: { path: string; value: string }[] }[];
  profileNamesInit: string;
  applyCases: ApplyCase[];
  envTable: EnvTableRow[];
  snapshots: { type: string; name: string; init: string }[];
  counterBoxes: { p: string; name: string }[];
  userOverrides: { path: string; value: string }[];
}

const cComment = (s: string): string => s.replace(/\*\//g, '* /');
const cString = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const md = (s: string): string => s.replace(/\|/g, '\\|');

export function humanBytes(n: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} B`;
}

function literal(p: string, key: string, knob: Knob, value: AnyKnobValue): string {
  switch (knob.kind) {
    case 'bool':
      return value ? 'true' : 'false';
    case 'int':
      return String(value);
    case 'bytes':
      return `((size_t)${String(value)})`;
    case 'enum':
      return `HK_${p.toUpperCase()}_${upperSnake(key)}_${upperSnake(String(value))}`;
    case 'intList':
      return `{${(value as readonly number[]).join(', ')}}`;
  }
}

function shownValue(knob: Knob, value: AnyKnobValue): string {
  if (knob.kind === 'bytes') return `${String(value)} (${humanBytes(value as number)})`;
  if (knob.kind === 'enum') return `'${String(value)}'`;
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  return String(value);
}

function knobModel(sb: SourcedBox, key: string, knob: Knob, value: AnyKnobValue, mode: Mode): KnobModel {
  const { box } = sb;
  const p = box.cPrefix;
  const P = p.toUpperCase();
  const field = snake(key);
  const macro = `HK_${P}_${upperSnake(key)}`;
  const isEnv = knob.scope === 'env';
  const enumType = `hk_${p}_${field}_t`;
  const cType =
    knob.kind === 'bool' ? 'bool' : knob.kind === 'int' ? 'int64_t' : knob.kind === 'bytes' ? 'size_t' : knob.kind === 'enum' ? enumType : 'uint32_t';
  const lit = literal(p, key, knob, value);
  const accessor = !isEnv ? macro : mode === 'fast' ? lit : `hk_${p}_env.${field}`;
  const doc = sb.knobDocs.get(key) ?? '';
  const range = (f: (n: number) => string): string =>
    knob.kind === 'int' || knob.kind === 'bytes' || knob.kind === 'intList' ? `${f(knob.min)} .. ${f(knob.max)}` : '';
  return {
    key,
    path: `${box.configPath}.${key}`,
    doc,
    docC: cComment(doc),
    kind: knob.kind,
    scope: knob.scope,
    isEnv,
    isConst: !isEnv,
    isList: knob.kind === 'intList',
    isEnum: knob.kind === 'enum',
    env: envName(box, key, knob),
    field,
    macro,
    fn: `hk_${p}_${field}`,
    cType,
    literal: lit,
    accessor,
    enumType,
    enumConsts: knob.kind === 'enum' ? knob.values.map((v, i) => ({ name: `${macro}_${upperSnake(v)}`, value: i })) : [],
    namesArray: `hk_${p}_${field}_names`,
    namesInit: knob.kind === 'enum' ? knob.values.map(cString).join(', ') : '',
    listInit: Array.isArray(value) ? value.join(', ') : '',
    listCount: Array.isArray(value) ? value.length : 0,
    defaultText: md(shownValue(knob, knob.default)),
    allowedText: md(
      knob.kind === 'bool'
        ? 'true, false'
        : knob.kind === 'enum'
          ? knob.values.join(', ')
          : knob.kind === 'bytes'
            ? `${range(humanBytes)}${isEnv ? ' (environment: bytes, or with a KiB/MiB/GiB suffix)' : ''}`
            : knob.kind === 'intList'
              ? `each ${range(String)}`
              : range(String),
    ),
    typeText: knob.kind === 'intList' ? 'int list' : knob.kind,
  };
}

function fileName(boxName: string): string {
  return `${boxName.replace(/-/g, '_')}_box.h`;
}

const banner = (sources: readonly string[]): string =>
  `/* GENERATED by ${GENERATOR} from ${sources.join(', ')} — do not edit; edit ${sources.length === 1 ? 'that file' : 'those files'} and run npm run codegen. */`;

/** sha256 of the canonical effective configuration (profile and every knob, sorted by path). */
export function configHash(profile: string, values: Effective): string {
  const canonical = JSON.stringify([profile, [...values.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** One model per mode: everything the templates print, already spelled as C or Markdown. */
export function buildModel(v: Validated, mode: Mode): Model {
  const { decls } = v;
  const values = v.effective.get(v.profile);
  if (!values) throw new Error(`no effective values for profile ${v.profile}`);
  const valueOf = (path: string): AnyKnobValue => {
    const x = values.get(path);
    if (x === undefined) throw new Error(`no value for ${path}`);
    return x;
  };
  const frontGateBox = decls.boxes.find((b) => b.box.configPath === FRONT_GATE);
  const boxes: BoxModel[] = decls.boxes.map((sb) => {
    const { box } = sb;
    const file = fileName(box.name);
    const knobs = Object.entries(box.knobs).map(([key, knob]) =>
      knobModel(sb, key, knob, valueOf(`${box.configPath}.${key}`), mode),
    );
    const includes = ['<stdbool.h>', '<stddef.h>', '<stdint.h>', '"hakmem_build.h"'];
    if (box.configPath === ENV_GATE) {
      for (const other of decls.boxes) if (other !== sb) includes.push(`"${fileName(other.box.name)}"`);
    } else if (frontGateBox && sb !== frontGateBox && Object.values(box.counters).some((c) => c.perClass)) {
      includes.push(`"${fileName(frontGateBox.box.name)}"`);
    }
    const counters = Object.entries(box.counters).map(([name, c]) => {
      const doc = sb.counterDocs.get(name) ?? '';
      return {
        name: snake(name),
        len: c.perClass ? 'HK_CLASS_COUNT' : '1',
        decl: c.perClass ? `uint64_t ${snake(name)}[HK_CLASS_COUNT];` : `uint64_t ${snake(name)};`,
        doc,
        docC: cComment(doc),
        docString: cString(doc),
      };
    });
    return {
      name: box.name,
      file,
      guard: `HAKMEM_GENERATED_${file.replace(/\./g, '_').toUpperCase()}`,
      banner: banner([sb.file]),
      source: sb.file,
      p: box.cPrefix,
      P: box.cPrefix.toUpperCase(),
      version: box.version,
      packageName: shortPackage(box.packageName),
      configPath: box.configPath,
      doc: sb.doc,
      docC: cComment(sb.doc),
      includes,
      knobs,
      envKnobs: knobs.filter((k) => k.isEnv),
      enumKnobs: knobs.filter((k) => k.isEnum),
      counters,
      hasCounters: counters.length > 0,
      invariants: box.invariants.map((i) => ({ name: md(i.name), rule: md(i.rule) })),
    };
  });

  const num = (path: string): number => valueOf(path) as number;
  const cls = frontGateBox
    ? sizeClasses(
        valueOf(`${FRONT_GATE}.tinyClasses`) as readonly number[],
        num(`${FRONT_GATE}.tinyMax`),
        num(`${FRONT_GATE}.midMax`),
        num(`${FRONT_GATE}.midClassesPerDoubling`),
      )
    : { tinyCount: 0, sizes: [], tinyIndex: [], granuleShift: 0, midIndex: [] };
  const wrap = (xs: readonly number[]): string =>
    xs.reduce<string[]>((lines, x, i) => {
      if (i % 16 === 0) lines.push('');
      lines[lines.length - 1] += `${x}, `;
      return lines;
    }, []).map((l) => `    ${l.trimEnd()}`).join('\n').replace(/,$/, '');

  const packages: { name: string; version: string }[] = [];
  for (const b of boxes) if (!packages.some((p) => p.name === b.packageName)) packages.push({ name: b.packageName, version: b.version });

  const profileNames = decls.profiles.map((p) => p.name);
  const applyCases = decls.profiles.map((p, index) => {
    const vals = v.effective.get(p.name) ?? new Map<string, AnyKnobValue>();
    const assignments = decls.boxes.flatMap((sb) =>
      Object.entries(sb.box.knobs)
        .filter(([, k]) => k.scope === 'env')
        .map(([key, knob]) => {
          const x = vals.get(`${sb.box.configPath}.${key}`) ?? knob.default;
          return `hk_${sb.box.cPrefix}_env.${snake(key)} = ${literal(sb.box.cPrefix, key, knob, x)};`;
        }),
    );
    return { index, name: p.name, assignments };
  });
  const envTable = boxes.flatMap((b) =>
    b.envKnobs
      .filter((k) => k.path !== PROFILE_PATH)
      .map((k) => {
        const knob = decls.boxes.find((sb) => sb.box.name === b.name)?.box.knobs[k.key];
        const [kind, min, max, names, count] =
          knob?.kind === 'bool'
            ? ['HK_KNOB_BOOL', 0, 1, 'NULL', 0]
            : knob?.kind === 'int'
              ? ['HK_KNOB_INT', knob.min, knob.max, 'NULL', 0]
              : knob?.kind === 'bytes'
                ? ['HK_KNOB_BYTES', knob.min, knob.max, 'NULL', 0]
                : ['HK_KNOB_ENUM', 0, k.enumConsts.length - 1, k.namesArray, k.enumConsts.length];
        return {
          text: `{${cString(k.env)}, ${cString(k.path)}, ${kind}, ${min}, ${max}, ${names}, ${count}, &hk_${b.p}_env.${k.field}}`,
        };
      }),
  );
  const snapshots = boxes
    .filter((b) => b.envKnobs.length > 0)
    .map((b) => ({
      type: `hk_${b.p}_env_t`,
      name: `hk_${b.p}_env`,
      init: b.envKnobs.map((k) => `.${k.field} = ${k.literal}`).join(', '),
    }));
  const knobsByPath = new Map<string, Knob>(
    decls.boxes.flatMap((sb) => Object.entries(sb.box.knobs).map(([k, knob]): [string, Knob] => [`${sb.box.configPath}.${k}`, knob])),
  );
  const show = (path: string, x: AnyKnobValue): string => {
    const knob = knobsByPath.get(path);
    return md(knob ? shownValue(knob, x) : String(x));
  };
  const configFile = v.config.file ?? '';
  const declFiles = [...new Set([...decls.boxes.map((b) => b.file), decls.profilesFile])];
  return {
    mode,
    fast: mode === 'fast',
    standard: mode === 'standard',
    observe: mode === 'observe',
    envRuntime: mode !== 'fast',
    profile: v.profile,
    profileIndex: profileNames.indexOf(v.profile),
    configHash: configHash(v.profile, values),
    configFile,
    buildBanner: banner([...declFiles, ...(configFile ? [configFile] : [])]),
    docsBanner: `<!-- ${banner(declFiles).slice(3, -3)} -->`,
    versions: packages.map((p) => ({
      macro: `HAKMEM_BOX_${p.name.replace(/^box-/, '').replace(/-/g, '_').toUpperCase()}_VERSION`,
      name: p.name,
      version: p.version,
    })),
    versionsString: packages.map((p) => `${p.name}@${p.version}`).join(' '),
    generatorVersion: GENERATOR_VERSION,
    boxes,
    frontGate: boxes.find((b) => b.configPath === FRONT_GATE),
    classes: {
      ...cls,
      sizesInit: wrap(cls.sizes),
      tinyIndexInit: wrap(cls.tinyIndex),
      midIndexInit: wrap(cls.midIndex),
      tinyIndexLen: '(HK_FRONT_TINY_MAX >> 4) + 1',
      midIndexLen: 'HK_FRONT_MID_MAX >> HK_MID_GRANULE_SHIFT',
    },
    profiles: decls.profiles.map((p, index) => ({
      name: p.name,
      doc: md(p.doc),
      index,
      overrides: Object.entries(p.overrides).map(([path, x]) => ({ path, value: show(path, x) })),
    })),
    profileNamesInit: profileNames.map(cString).join(', '),
    applyCases,
    envTable,
    snapshots,
    counterBoxes: boxes.filter((b) => b.hasCounters).map((b) => ({ p: b.p, name: b.name })),
    userOverrides: [...v.config.overrides.entries()].map(([path, x]) => ({ path, value: show(path, x) })),
  };
}
