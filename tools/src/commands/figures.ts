/**
 * `hakmem figures [FILE...]`: rewrites the generated blocks of Markdown files (README.md by
 * default) from their commands, or with --check says which block is stale. Only `hakmem table`
 * (from a bench results file, or a `hakmem profile` one) and `hakmem compare` (two bench
 * results files) may generate a block: figures come from committed results files, never by hand.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { UsageError } from '../bench/workloads.ts';
import { findGeneratedBlocks, GeneratedBlockError, regenerateBlocks } from '../report/generated-blocks.ts';
import { profileTableFromResults, readProfileResults } from './profile.ts';
import { readBenchResults } from '../results/read-results.ts';
import { tableFromResults } from './table.ts';
import { compareResults, compareTable } from './compare.ts';
import { misuseTableFromResults, readMisuseResults } from './misuse.ts';
import { readTuneResults, tuneTableFromResults } from './tune-report.ts';

/** A results path of a block: inside the repository. */
function blockFile(argv: readonly string[], file: string): string {
  if (path.isAbsolute(file) || file.startsWith('..')) {
    throw new GeneratedBlockError(
      `generated block "hakmem ${argv.join(' ')}": the results file must be a path inside the repository`,
    );
  }
  return file;
}

/** `compare BASE NEW [--allow W] [--allocators A,B]`: the comparison, whatever its verdict (the block shows it; it does not fail). */
function renderCompare(argv: readonly string[], root: string): string {
  const parsed = new Command('compare')
    .exitOverride()
    .argument('<base>')
    .argument('<new>')
    .option('--allow <workloads>', '', (v: string, prev: string[] = []) => [...prev, v], [])
    .option('--allocators <list>', '', (v: string, prev: string[] = []) => [...prev, v], [])
    .parse(argv.slice(1), { from: 'user' });
  const [bf, nf] = parsed.args.map((f) => blockFile(argv, f));
  const b = readBenchResults(path.join(root, bf!));
  const n = readBenchResults(path.join(root, nf!));
  const o = parsed.opts<{ allow: string[]; allocators: string[] }>();
  const c = compareResults(b.results, n.results, { allow: o.allow, allocators: o.allocators });
  return compareTable(c, b.results, n.results, { base: bf!, new: nf! });
}

/** The output of one block's command, run from `root` (the results path is relative to it). */
export function renderBlock(argv: readonly string[], root: string): string {
  if (argv[0] === 'compare') return renderCompare(argv, root);
  if (argv[0] !== 'table')
    throw new GeneratedBlockError(
      `generated block "hakmem ${argv.join(' ')}": only "hakmem table" and "hakmem compare" may generate figures`,
    );
  const parsed = new Command('table')
    .exitOverride()
    .argument('<results>')
    .option('--workloads <list>')
    .option('--allocators <list>')
    .option('--against <allocator>')
    .option('--counts')
    .option('--standard <allocator>')
    .parse(argv.slice(1), { from: 'user' });
  const file = blockFile(argv, parsed.args[0]!);
  const o = parsed.opts<{
    workloads?: string;
    allocators?: string;
    against?: string;
    counts?: boolean;
    standard?: string;
  }>();
  return resultsTable(path.join(root, file), o, () => file);
}

/**
 * hakmem table's output for any kind of results file (or a directory holding one): a misuse.json,
 * a tune.json, a profile.json or a bench results.json, tried in that order. `sourceOf` names the
 * file read in the header line. A misuse or tune file takes none of the options.
 */
export function resultsTable(
  file: string,
  o: { workloads?: string; allocators?: string; against?: string; counts?: boolean; standard?: string },
  sourceOf: (read: string) => string,
): string {
  const inside = (name: string) => (fs.statSync(file).isDirectory() ? path.join(file, name) : file);
  const noOptions = (kind: string) => {
    if (o.workloads || o.allocators || o.against || o.counts || o.standard)
      throw new UsageError(`${file} is a ${kind} results file: hakmem table takes no options for it`);
  };
  const misuse = readMisuseResults(file);
  if (misuse) {
    noOptions('misuse');
    return misuseTableFromResults(misuse, { source: sourceOf(inside('misuse.json')) });
  }
  const tune = readTuneResults(file);
  if (tune) {
    noOptions('tune');
    return tuneTableFromResults(tune, { source: sourceOf(inside('tune.json')) });
  }
  const profile = readProfileResults(file);
  if (profile) return profileTableFromResults(profile, { source: sourceOf(inside('profile.json')), ...o });
  const r = readBenchResults(file);
  return tableFromResults(r.results, { source: sourceOf(r.path), ...o, upgradedFrom: r.upgradedFrom });
}

export interface FiguresOutcome {
  /** Files whose blocks changed (written unless check). */
  stale: string[];
  blocks: number;
}

/** Regenerates (or, with check, compares) every block of the given files. */
export function updateFigures(files: readonly string[], root: string, check: boolean): FiguresOutcome {
  const stale: string[] = [];
  let blocks = 0;
  for (const f of files) {
    const abs = path.resolve(root, f);
    const text = fs.readFileSync(abs, 'utf8');
    blocks += findGeneratedBlocks(text).length;
    const next = regenerateBlocks(text, (argv) => renderBlock(argv, root));
    if (next !== text) {
      stale.push(f);
      if (!check) fs.writeFileSync(abs, next);
    }
  }
  return { stale, blocks };
}
