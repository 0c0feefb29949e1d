/**
 * `npm run check-changesets [-- --since REF]` (`hakmem check-changesets`): every box whose declaration or C files changed
 * comes with a changeset for its package, and with a large enough bump.
 *
 * A box package owns packages/<box>/src (its declaration; tests left out) and the native/src
 * files its package.json lists under `hakmem.cFiles`. The check compares the working tree
 * against a base:
 *
 *   --since REF                    explicit;
 *   merge-base with origin/main    when that branch exists and HEAD is not on it;
 *   the last release commit        the last commit that wrote a packages/<box>/declaration.json
 *                                  (npm run release writes them) — what CI on a linear main uses;
 *   the last commit touching .changeset/, else the root commit, when there was never a release.
 *
 * A box that changed needs a pending changeset (.changeset/*.md, the ones the next
 * `changeset version` consumes) naming its package. Its declaration is also compared with the
 * declaration.json committed at the last release: a removed or renamed knob (or a changed kind
 * or environment variable) needs a major bump; an added knob, a changed default, a tightened
 * range or a new invariant a minor one; anything else a patch. A pending bump below that fails.
 *
 * Exit 0 when every box is covered; 1 with one line per box otherwise; 2 on a git error.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export type Bump = 'none' | 'patch' | 'minor' | 'major';
const RANK: Record<Bump, number> = { none: 0, patch: 1, minor: 2, major: 3 };
export const maxBump = (a: Bump, b: Bump): Bump => (RANK[a] >= RANK[b] ? a : b);

/** The shape written to packages/<box>/declaration.json (see @hakmem/codegen manifest.ts). */
export interface DeclarationLike {
  package: string;
  version?: string;
  knobs: Record<
    string,
    {
      kind: string;
      scope: string;
      env?: string;
      default: unknown;
      min?: number;
      max?: number;
      values?: readonly string[];
    }
  >;
  invariants: { name: string; rule: string }[];
  counters: Record<string, { perClass: boolean }>;
}

export interface BoxPackage {
  /** Directory name, e.g. box-front. */
  dir: string;
  /** npm name, e.g. @hakmem/box-front. */
  name: string;
  /** Repo-relative paths it owns: its src directory (with a trailing slash) and its C files. */
  owns: string[];
}

export class GitError extends Error {
  override name = 'GitError';
}

function git(root: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new GitError(`git ${args.join(' ')}: ${(err.stderr ?? err.message).trim().split('\n')[0]}`);
  }
}
const gitOk = (root: string, args: string[]): string | undefined => {
  try {
    return git(root, args) || undefined;
  } catch {
    return undefined;
  }
};

/** The box packages: packages/* whose package.json has `hakmem.cFiles`. */
export function boxPackages(root: string): BoxPackage[] {
  const dir = path.join(root, 'packages');
  const out: BoxPackage[] = [];
  for (const d of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, d, 'package.json');
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name: string; hakmem?: { cFiles?: string[] } };
    if (!pkg.hakmem?.cFiles) continue;
    out.push({ dir: d, name: pkg.name, owns: [`packages/${d}/src/`, ...pkg.hakmem.cFiles] });
  }
  return out;
}

export interface Base {
  sha: string;
  why: string;
}

/** Where to compare from (see the file comment). */
export function resolveBase(root: string, since?: string): Base {
  if (since) return { sha: git(root, ['rev-parse', '--verify', `${since}^{commit}`]), why: `--since ${since}` };
  const head = git(root, ['rev-parse', 'HEAD']);
  if (gitOk(root, ['rev-parse', '--verify', '-q', 'refs/remotes/origin/main'])) {
    const mb = gitOk(root, ['merge-base', 'HEAD', 'refs/remotes/origin/main']);
    if (mb && mb !== head) return { sha: mb, why: 'the merge base with origin/main' };
  }
  const release = gitOk(root, ['log', '-1', '--format=%H', '--', 'packages/*/declaration.json']);
  if (release) return { sha: release, why: 'the last release commit (it wrote packages/*/declaration.json)' };
  const cs = gitOk(root, ['log', '-1', '--format=%H', '--', '.changeset']);
  if (cs) return { sha: cs, why: 'the last commit touching .changeset (no release yet)' };
  const first = git(root, ['rev-list', '--max-parents=0', 'HEAD']).split('\n')[0]!;
  return { sha: first, why: 'the first commit (no release, no changesets yet)' };
}

/** Files changed between base and the working tree (committed, staged, unstaged and untracked). */
export function changedFiles(root: string, base: string): string[] {
  const diff = git(root, ['diff', '--name-only', base, '--']).split('\n');
  const untracked = git(root, ['ls-files', '--others', '--exclude-standard']).split('\n');
  return [...new Set([...diff, ...untracked].filter(Boolean))].sort();
}

/** The pending changesets: package -> the largest bump they ask for. */
export function pendingBumps(root: string): Map<string, Bump> {
  const dir = path.join(root, '.changeset');
  const out = new Map<string, Bump>();
  if (!fs.existsSync(dir)) return out;
  for (const f of fs.readdirSync(dir).sort()) {
    if (!f.endsWith('.md') || f === 'README.md') continue;
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    const m = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
    if (!m) continue;
    for (const line of m[1]!.split(/\r?\n/)) {
      const x = /^\s*["']?([^"':]+)["']?\s*:\s*(major|minor|patch|none)\s*$/.exec(line);
      if (x) out.set(x[1]!, maxBump(out.get(x[1]!) ?? 'none', x[2] as Bump));
    }
  }
  return out;
}

const show = (v: unknown): string => JSON.stringify(v);

/** What changed between two declarations of one package, each with the bump it needs. */
export function declarationChanges(before: DeclarationLike, after: DeclarationLike): { what: string; bump: Bump }[] {
  const out: { what: string; bump: Bump }[] = [];
  for (const [p, old] of Object.entries(before.knobs)) {
    const now = after.knobs[p];
    if (!now) {
      out.push({ what: `knob ${p} removed or renamed`, bump: 'major' });
      continue;
    }
    if (old.kind !== now.kind) out.push({ what: `${p} kind ${old.kind} -> ${now.kind}`, bump: 'major' });
    if (old.scope !== now.scope)
      out.push({ what: `${p} scope ${old.scope} -> ${now.scope}`, bump: old.scope === 'env' ? 'major' : 'minor' });
    else if ((old.env ?? '') !== (now.env ?? ''))
      out.push({ what: `${p} environment variable ${old.env} -> ${now.env}`, bump: 'major' });
    if (show(old.default) !== show(now.default))
      out.push({ what: `${p} default ${show(old.default)} -> ${show(now.default)}`, bump: 'minor' });
    const tightened =
      (now.min ?? -Infinity) > (old.min ?? -Infinity) ||
      (now.max ?? Infinity) < (old.max ?? Infinity) ||
      (old.values ?? []).some((v) => !(now.values ?? []).includes(v));
    const widened =
      (now.min ?? -Infinity) < (old.min ?? -Infinity) ||
      (now.max ?? Infinity) > (old.max ?? Infinity) ||
      (now.values ?? []).some((v) => !(old.values ?? []).includes(v));
    const range = (k: typeof old): string =>
      k.values ? k.values.join('|') : k.min !== undefined ? `[${k.min}, ${k.max}]` : '-';
    if (tightened) out.push({ what: `${p} range tightened ${range(old)} -> ${range(now)}`, bump: 'minor' });
    else if (widened) out.push({ what: `${p} range widened ${range(old)} -> ${range(now)}`, bump: 'patch' });
  }
  for (const p of Object.keys(after.knobs)) if (!before.knobs[p]) out.push({ what: `knob ${p} added`, bump: 'minor' });
  const rules = (d: DeclarationLike): Map<string, string> => new Map(d.invariants.map((i) => [i.name, i.rule]));
  const [ib, ia] = [rules(before), rules(after)];
  for (const [n, r] of ia) {
    if (!ib.has(n)) out.push({ what: `invariant ${n} added`, bump: 'minor' });
    else if (ib.get(n) !== r) out.push({ what: `invariant ${n} changed`, bump: 'minor' });
  }
  for (const n of ib.keys()) if (!ia.has(n)) out.push({ what: `invariant ${n} removed`, bump: 'patch' });
  for (const c of Object.keys(before.counters))
    if (!after.counters[c]) out.push({ what: `counter ${c} removed`, bump: 'minor' });
  for (const c of Object.keys(after.counters))
    if (!before.counters[c]) out.push({ what: `counter ${c} added`, bump: 'patch' });
  return out;
}

export interface CheckOptions {
  since?: string;
  /** The current declarations by package directory (box-front …); absent: no compatibility check. */
  declarations?: ReadonlyMap<string, DeclarationLike>;
}

export interface CheckResult {
  base: Base;
  /** One line per box that fails. */
  problems: string[];
  /** One line per box that changed and is covered. */
  covered: string[];
}

export function checkChangesets(root: string, opts: CheckOptions = {}): CheckResult {
  const base = resolveBase(root, opts.since);
  const changed = changedFiles(root, base.sha);
  const pending = pendingBumps(root);
  const short = base.sha.slice(0, 7);
  const problems: string[] = [];
  const covered: string[] = [];
  for (const box of boxPackages(root)) {
    const files = changed.filter(
      (f) => box.owns.some((o) => (o.endsWith('/') ? f.startsWith(o) : f === o)) && !f.endsWith('.test.ts'),
    );
    const have = pending.get(box.name) ?? 'none';
    const released = path.join(root, 'packages', box.dir, 'declaration.json');
    const current = opts.declarations?.get(box.dir);
    const changes =
      current && fs.existsSync(released)
        ? declarationChanges(JSON.parse(fs.readFileSync(released, 'utf8')) as DeclarationLike, current)
        : [];
    const need = changes.reduce<Bump>((b, c) => maxBump(b, c.bump), files.length > 0 ? 'patch' : 'none');
    if (need === 'none') continue;
    const shown = files.length > 3 ? [...files.slice(0, 3), `${files.length - 3} more`] : files;
    if (RANK[have] === 0) {
      const why =
        files.length > 0
          ? `${shown.join(', ')} changed since ${short} (${base.why})`
          : `its declaration changed since its declaration.json (${changes.map((c) => c.what).join('; ')})`;
      problems.push(
        `${box.dir}: ${why} without a changeset for ${box.name}: run npx changeset (pick ${box.name}, ${need})`,
      );
    } else if (RANK[have] < RANK[need]) {
      const what = changes
        .filter((c) => RANK[c.bump] > RANK[have])
        .map((c) => `${c.what} (${c.bump})`)
        .join('; ');
      problems.push(
        `${box.dir}: ${what} needs a ${need} bump of ${box.name}, its pending changesets give ${have}: run npx changeset (pick ${box.name}, ${need}) or raise the bump in .changeset/`,
      );
    } else {
      covered.push(
        `${box.dir}: changed, covered by a pending ${have} changeset${changes.length ? ` (needs ${need}: ${changes.map((c) => c.what).join('; ')})` : ''}`,
      );
    }
  }
  return { base, problems, covered };
}

/** The current declarations from codegen (loads every box.ts). */
export async function currentDeclarations(): Promise<Map<string, DeclarationLike>> {
  const { loadBoxes, packageDeclarations } = await import('@hakmem/codegen');
  return packageDeclarations(await loadBoxes());
}

export interface CheckChangesetsOptions {
  since?: string;
  verbose?: boolean;
}

/** Prints the problems (stderr) or what is covered (stdout); the exit status: 0, 1, or 2 on a git error. */
export async function runCheckChangesets(values: CheckChangesetsOptions, root: string): Promise<number> {
  try {
    const r = checkChangesets(root, { since: values.since, declarations: await currentDeclarations() });
    for (const line of r.problems) console.error(`check-changesets: ${line}`);
    if (values.verbose || r.problems.length === 0) {
      for (const line of r.covered) console.log(`check-changesets: ${line}`);
      console.log(
        `check-changesets: compared with ${r.base.sha.slice(0, 7)} (${r.base.why})${r.problems.length === 0 ? ': every changed box has its changeset' : ''}`,
      );
    }
    return r.problems.length > 0 ? 1 : 0;
  } catch (e) {
    if (e instanceof GitError) {
      console.error(`check-changesets: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
