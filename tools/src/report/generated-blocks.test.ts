/**
 * Figures come from results files, never by hand: every generated block in README.md and
 * docs/**\/*.md (the lab notebook's pages included) is exactly what its `hakmem table` command
 * prints from a results file that git tracks (docs/results/<date>-<sha>.json), and README has at
 * least one such block.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { findGeneratedBlocks, regenerateBlocks } from './generated-blocks.ts';
import { renderBlock, updateFigures } from '../commands/figures.ts';
import { repoRoot } from '../paths.ts';

const docs = [
  'README.md',
  ...(fs.readdirSync(path.join(repoRoot, 'docs'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];

describe('generated blocks', () => {
  it('finds blocks and rewrites only their bodies', () => {
    const text = 'a\n<!-- generated: hakmem table x.json --workloads w -->\nold\n<!-- end generated -->\nb\n';
    const blocks = findGeneratedBlocks(text);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.argv).toEqual(['table', 'x.json', '--workloads', 'w']);
    expect(blocks[0]!.body).toBe('old\n');
    expect(regenerateBlocks(text, (argv) => `new ${argv.length}`)).toBe(
      'a\n<!-- generated: hakmem table x.json --workloads w -->\nnew 4\n<!-- end generated -->\nb\n',
    );
  });

  it('refuses an unclosed block and a command other than table', () => {
    expect(() => findGeneratedBlocks('<!-- generated: hakmem table x.json -->\nold\n')).toThrow(
      /no "<!-- end generated -->"/,
    );
    expect(() => renderBlock(['bench', '--quick'], repoRoot)).toThrow(/only "hakmem table" and "hakmem compare"/);
    expect(() => renderBlock(['compare', 'docs/results/2026-11-29-325c66b.json', '/tmp/x.json'], repoRoot)).toThrow(
      /inside the repository/,
    );
    expect(() => renderBlock(['table', '/etc/passwd'], repoRoot)).toThrow(/inside the repository/);
  });

  it('renders the --against and --counts views of a committed results file, not of a profile', () => {
    const ratios = renderBlock(['table', 'docs/results/2026-11-29-5509145.json', '--against', 'hakmem-fast'], repoRoot);
    expect(ratios).toMatch(/\| hakmem-fast vs +\| +hakmem +\| +mimalloc +\| +jemalloc +\| +tcmalloc +\|/);
    expect(ratios).toMatch(/\| xthread +\|.*ahead \|$/m);
    const counts = renderBlock(['table', 'docs/results/2026-11-28-c441711.json', '--counts'], repoRoot);
    expect(counts).toMatch(/\| random_mixed +\| +59\.5 +\|/);
    expect(counts).toContain('system calls / 10^8 ops');
    expect(() =>
      renderBlock(['table', 'docs/results/2026-11-29-c4d4dea-profile.json', '--against', 'mimalloc'], repoRoot),
    ).toThrow(/need a bench results file/);
  });

  it('renders a comparison of two committed results files, paired where their rounds match', () => {
    const out = renderBlock(
      ['compare', 'docs/results/2026-11-27-44b96fc.json', 'docs/results/2026-11-29-325c66b.json'],
      repoRoot,
    );
    expect(out.split('\n')[0]).toMatch(/^BASE: docs\/results\/2026-11-27-44b96fc\.json · git 44b96fc/);
    expect(out).toMatch(/\| larson +\| hakmem-fast +\|.*\| paired, 9 rounds +\|/);
    expect(out).toMatch(/\| random_mixed +\| hakmem-fast +\|.*\| unpaired, 5 vs 9 rounds +\|/);
  });

  it('README.md has generated figures', () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    expect(findGeneratedBlocks(readme).length).toBeGreaterThan(0);
  });

  it.each(docs)('%s: every generated block is current and comes from a results file git tracks', async (file) => {
    const text = fs.readFileSync(path.join(repoRoot, file), 'utf8');
    for (const b of findGeneratedBlocks(text)) {
      // table FILE ..., compare BASE NEW ...: every results file it reads
      const files = b.argv.slice(1, b.argv[0] === 'compare' ? 3 : 2);
      for (const results of files) {
        expect(results, `${file}: ${b.argv.join(' ')}`).toMatch(
          /^docs\/results\/\d{4}-\d{2}-\d{2}-[0-9a-f]{7,40}(-[a-z0-9]+)*\.json$/,
        );
        const tracked = await execa('git', ['ls-files', '--error-unmatch', results], { cwd: repoRoot, reject: false });
        expect(tracked.exitCode, `${results} is not committed`).toBe(0);
      }
      expect(b.body, `${file}: stale block "hakmem ${b.argv.join(' ')}"; run npx hakmem figures ${file}`).toBe(
        renderBlock(b.argv, repoRoot),
      );
    }
  });

  it('figures --check names a stale file and leaves it alone; without --check rewrites it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-figures-'));
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const first = findGeneratedBlocks(readme)[0]!;
    const stale = `${readme.slice(0, first.bodyStart)}| hand-edited |\n${readme.slice(first.bodyEnd)}`;
    const f = path.join(dir, 'README.md');
    fs.writeFileSync(f, stale);
    expect(updateFigures([f], repoRoot, true)).toEqual({ stale: [f], blocks: findGeneratedBlocks(readme).length });
    expect(fs.readFileSync(f, 'utf8')).toBe(stale);
    updateFigures([f], repoRoot, false);
    expect(fs.readFileSync(f, 'utf8')).toBe(readme);
  });
});
