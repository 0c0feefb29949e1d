/**
 * The layer check of `npm run lint`: the allocator's C files sit in one folder per layer under
 * native/src, and a folder's files may name only what their own layer and the layers below it
 * declare. The rule and its data are written at the top of native/src/internal.h, not here:
 *
 * - the layers, lowest first: the order of internal.h's `==== layer NAME ====` sections;
 * - who declares what: every `hk_*` function, global or inline helper belongs to the section of
 *   internal.h that declares it; a name that no section declares but that starts `hk_<layer>_`
 *   (a box's knob accessor from the generated headers) belongs to that layer; the types of each
 *   layer are listed on internal.h's `layer types: LAYER T...` lines;
 * - the named exceptions: `exception: FOLDER NAME` lines (with the reason beside them).
 *
 * Besides, every function a folder defines for other files (non-static `hk_*`) must be declared
 * in its own layer's section, and no C file sits outside a layer folder. Comments and strings
 * are not read. `hakmem lint-layers` prints one line per problem and exits 1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../paths.ts';

export interface LayerRules {
  /** Layer names, lowest first. */
  layers: string[];
  /** hk_ name or type -> the layer that declares it. */
  owner: Map<string, string>;
  /** folder -> names it may use although they belong above it. */
  exceptions: Map<string, Set<string>>;
}

/** C text without comments and string or character literals (newlines kept, so lines still count). */
export function stripC(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, (m) =>
    m.replace(/[^\n]/g, ' '),
  );
}

const NAME = /\b(?:hk_[a-z0-9_]+|HK_[A-Z0-9_]+)\b/g;

/** The rules as native/src/internal.h states them; typesH: types.h, whose constants describe the
 * memory layout of every layer (HK_SUPERSLAB_SHIFT is geometry, not the SuperSlab box's). */
export function readRules(internalH: string, typesH = ''): LayerRules {
  const layers: string[] = [];
  const owner = new Map<string, string>();
  for (const m of `${typesH}\n${internalH}`.matchAll(/^#define (HK_[A-Z0-9_]+)/gm)) owner.set(m[1]!, '');
  const exceptions = new Map<string, Set<string>>();
  for (const m of internalH.matchAll(/^ \* layer types: (\w+) (.+)$/gm))
    for (const t of m[2]!.trim().split(/\s+/)) owner.set(t, m[1]!);
  for (const m of internalH.matchAll(/^ \* exception: (\w+) ((?:hk|HK)_[A-Za-z0-9_]+)/gm)) {
    if (!exceptions.has(m[1]!)) exceptions.set(m[1]!, new Set());
    exceptions.get(m[1]!)!.add(m[2]!);
  }
  const sections = internalH.split(/^\/\* ==== layer (\w+) =+ \*\/$/m);
  // [before, name1, body1, name2, body2, ...]
  for (let i = 1; i < sections.length; i += 2) {
    const layer = sections[i]!;
    layers.push(layer);
    const body = stripC(sections[i + 1]!);
    // declared here: a name followed by `(` at the start of a declaration, or an extern global
    for (const m of body.matchAll(/\b(hk_[a-z0-9_]+)\s*\(/g)) {
      const before = body.slice(Math.max(0, m.index! - 120), m.index!);
      const line = before.slice(before.lastIndexOf('\n') + 1);
      // a declaration starts the line (return type first); a use inside a body is indented
      if (/^[A-Za-z_]/.test(line) && !owner.has(m[1]!)) owner.set(m[1]!, layer);
    }
    for (const m of body.matchAll(/^extern[^;]*?\b(hk_[a-z0-9_]+)\b[^;]*;/gm))
      if (!owner.has(m[1]!)) owner.set(m[1]!, layer);
  }
  return { layers, owner, exceptions };
}

/** The layer a name belongs to, or undefined (a name of no layer: generated tables, config). */
export function layerOf(name: string, rules: LayerRules): string | undefined {
  const own = rules.owner.get(name) ?? rules.owner.get(`${name}_t`); // `struct hk_heap` is hk_heap_t
  if (own !== undefined) return own || undefined; // '' : a layout constant, of no layer
  // a box's knob accessors and constants, and its counters: hk_<layer>_..., HK_<LAYER>_...
  return rules.layers.find((l) => name.startsWith(`hk_${l}_`) || name.startsWith(`HK_${l.toUpperCase()}_`));
}

/** Problems of one C file of folder `layer` (relative path `file`, text `text`). */
export function checkFile(file: string, layer: string, text: string, rules: LayerRules): string[] {
  const problems: string[] = [];
  const mine = rules.layers.indexOf(layer);
  const allowed = rules.exceptions.get(layer) ?? new Set<string>();
  const code = stripC(text);
  const lines = code.split('\n');
  const typeNames = [...rules.owner.keys()].filter((n) => n.endsWith('_t') || !n.startsWith('hk_') || n === 'hk_tls');
  lines.forEach((line, i) => {
    const names = new Set<string>([...line.matchAll(NAME)].map((m) => m[0]));
    for (const t of typeNames) if (new RegExp(`\\b${t}\\b`).test(line)) names.add(t);
    for (const n of names) {
      const at = layerOf(n, rules);
      if (at === undefined || allowed.has(n)) continue;
      const theirs = rules.layers.indexOf(at);
      if (theirs > mine) problems.push(`${file}:${i + 1}: names ${n}, of layer ${at}, above ${layer}`);
    }
  });
  // what it defines for other files is declared in its own layer's section
  for (const m of code.matchAll(/^(?!static\b)[A-Za-z_][^;{}()=]*?\b(hk_[a-z0-9_]+)\s*\([^;]*?\)\s*\{/gm)) {
    const at = rules.owner.get(m[1]!);
    const line = code.slice(0, m.index!).split('\n').length;
    if (at === undefined)
      problems.push(`${file}:${line}: defines ${m[1]} for other files, but internal.h declares it nowhere`);
    else if (at !== layer) problems.push(`${file}:${line}: defines ${m[1]}, which internal.h declares in layer ${at}`);
  }
  return problems;
}

/** Every problem of the tree at root (native/src), sorted. */
export function checkLayers(root: string = repoRoot): string[] {
  const src = path.join(root, 'native', 'src');
  const rules = readRules(
    fs.readFileSync(path.join(src, 'internal.h'), 'utf8'),
    fs.readFileSync(path.join(src, 'types.h'), 'utf8'),
  );
  const problems: string[] = [];
  if (rules.layers.length === 0) return ['native/src/internal.h: no `==== layer NAME ====` sections'];
  for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
    const rel = `native/src/${entry.name}`;
    if (entry.isFile()) {
      if (/\.c$/.test(entry.name)) problems.push(`${rel}: a C file outside a layer folder`);
      continue;
    }
    if (!rules.layers.includes(entry.name)) {
      problems.push(`${rel}/: not a layer of internal.h (layers: ${rules.layers.join(', ')})`);
      continue;
    }
    for (const f of fs.readdirSync(path.join(src, entry.name)).sort()) {
      if (!/\.[ch]$/.test(f)) continue;
      const text = fs.readFileSync(path.join(src, entry.name, f), 'utf8');
      problems.push(...checkFile(`${rel}/${f}`, entry.name, text, rules));
    }
  }
  return problems.sort();
}

/** Prints one line per problem (stderr), or that there is none (stdout); the exit status. */
export function runLintLayers(): number {
  const problems = checkLayers();
  if (problems.length) {
    for (const p of problems) console.error(p);
    console.error(
      `lint: ${problems.length} layer problem(s); the rule and its exceptions are at the top of native/src/internal.h`,
    );
    return 1;
  }
  console.log('lint: every native/src folder names only its own layer and the ones below');
  return 0;
}
