import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isBox, type ProfileOverrides } from '@hakmem/box-kit';
import { DeclarationError } from './errors.ts';
import { repoRelative, repoRoot } from './paths.ts';
import { readDeclarations } from './read-declarations.ts';
import type { Declarations, Profile, SourcedBox } from './types.ts';

/**
 * Where a box package goes in header, table and version order: the `hakmem.order` number in its
 * package.json (lower first; absent: after every numbered one), then its directory name. A new
 * box package places itself; nothing in codegen lists the packages.
 */
export function packageOrder(packageDir: string): number {
  const file = path.join(packageDir, 'package.json');
  if (!existsSync(file)) return Number.MAX_SAFE_INTEGER;
  const order = (JSON.parse(readFileSync(file, 'utf8')) as { hakmem?: { order?: unknown } }).hakmem?.order;
  return typeof order === 'number' ? order : Number.MAX_SAFE_INTEGER;
}

/** The declaration files: packages/box-<name>/src/box.ts, in box order. */
export function findDeclarationFiles(root: string = repoRoot): string[] {
  const dir = path.join(root, 'packages');
  return readdirSync(dir)
    .filter((n) => n.startsWith('box-') && existsSync(path.join(dir, n, 'src', 'box.ts')))
    .map((n) => ({ n, order: packageOrder(path.join(dir, n)) }))
    .sort((a, b) => a.order - b.order || a.n.localeCompare(b.n))
    .map(({ n }) => path.join(dir, n, 'src', 'box.ts'));
}

/**
 * Loads every box declaration: imports each box.ts (for defaults, ranges, invariants) and reads
 * its source (for doc comments and knob kinds), and checks the two agree.
 */
export async function loadBoxes(files: readonly string[] = findDeclarationFiles()): Promise<Declarations> {
  const sources = readDeclarations(files);
  const problems: string[] = [];
  const boxes: SourcedBox[] = [];
  let profiles: Profile[] | undefined;
  let profilesFile = '';
  for (const file of files) {
    const rel = repoRelative(file);
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const declared = sources.get(file);
    for (const [exportName, value] of Object.entries(mod)) {
      if (exportName === 'profiles' && value && typeof value === 'object') {
        if (profiles) problems.push(`${rel}: profiles are already declared in ${profilesFile}`);
        const docs = declared?.profileDocs ?? new Map<string, string>();
        profiles = Object.entries(value as Record<string, ProfileOverrides>).map(([name, overrides]) => ({
          name,
          doc: docs.get(name) ?? '',
          overrides,
        }));
        profilesFile = rel;
        continue;
      }
      if (!isBox(value)) continue;
      const source = declared?.boxes.find((b) => b.exportName === exportName);
      if (!source) {
        problems.push(`${rel}: export ${exportName} is a box but is not declared there with defineBox({...})`);
        continue;
      }
      const knobDocs = new Map<string, string>();
      for (const [key, knob] of Object.entries(value.knobs)) {
        const path = `${value.configPath}.${key}`;
        const src = source.knobs.get(key);
        if (!src) {
          problems.push(`${rel}: knob ${path} is not written as a property of knobs: {...}`);
          continue;
        }
        if (src.kind !== knob.kind) {
          problems.push(
            `${rel}: knob ${path} is built with ${src.ctor || 'an expression'}() but loads as kind ${knob.kind}`,
          );
        }
        if (!src.doc) problems.push(`${rel}: knob ${path} has no doc comment; write /** what it does */ above it`);
        knobDocs.set(key, src.doc);
      }
      const counterDocs = new Map<string, string>();
      for (const name of Object.keys(value.counters)) {
        const doc = source.counters.get(name)?.doc ?? '';
        if (!doc)
          problems.push(
            `${rel}: counter ${value.configPath}.${name} has no doc comment; write /** what it counts */ above it`,
          );
        counterDocs.set(name, doc);
      }
      boxes.push({
        box: value,
        exportName,
        file: rel,
        doc: source.doc,
        knobDocs,
        counterDocs,
      });
    }
  }
  if (!profiles) problems.push('no box package exports `profiles` (box-env declares them with defineProfiles)');
  if (problems.length > 0) throw new DeclarationError(problems);
  return { boxes, profiles: profiles ?? [], profilesFile };
}
