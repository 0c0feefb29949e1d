/**
 * The docs stand alone in a clone (issue 27): every relative link of README.md, CONTRIBUTING.md,
 * tools/README.md and docs/**\/*.md names a file of the repository (and a `#heading` one of that
 * file's headings); no tracked file points at the specs kept beside the repository, which a clone
 * does not have; and docs/performance.md stays a short page whose figures are all generated.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import GithubSlugger from 'github-slugger';
import { marked, type Token } from 'marked';
import { describe, expect, it } from 'vitest';
import { findGeneratedBlocks } from './report/generated-blocks.ts';
import { repoRoot } from './paths.ts';

/** The Markdown files a reader of the repository follows links in (repository-relative). */
function docFiles(root: string = repoRoot): string[] {
  const docs = (fs.readdirSync(path.join(root, 'docs'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join('docs', f))
    .sort();
  return ['README.md', 'CONTRIBUTING.md', path.join('tools', 'README.md'), ...docs];
}

/** Every link and image target of a Markdown text; code spans and code blocks hold none. */
function linkTargets(text: string): string[] {
  const out: string[] = [];
  marked.walkTokens(marked.lexer(text), (t: Token) => {
    if (t.type === 'link' || t.type === 'image') out.push(t.href);
  });
  return out;
}

/** The anchors GitHub gives the headings of a Markdown text. */
function headingAnchors(text: string): Set<string> {
  const slugger = new GithubSlugger();
  const out = new Set<string>();
  for (const t of marked.lexer(text)) if (t.type === 'heading') out.add(slugger.slug(t.text));
  return out;
}

/** The links of one file that do not resolve: "target: why". */
function brokenLinks(file: string, root: string = repoRoot): string[] {
  const abs = path.join(root, file);
  const text = fs.readFileSync(abs, 'utf8');
  const broken: string[] = [];
  for (const href of linkTargets(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // https:, mailto: — not this repository's
    const hash = href.indexOf('#');
    const target = decodeURIComponent(hash < 0 ? href : href.slice(0, hash));
    const anchor = hash < 0 ? null : href.slice(hash + 1);
    const resolved = target === '' ? abs : path.resolve(path.dirname(abs), target);
    if (path.relative(root, resolved).startsWith('..')) {
      broken.push(`${href}: outside the repository`);
      continue;
    }
    if (!fs.existsSync(resolved)) {
      broken.push(`${href}: no such file ${path.relative(root, resolved)}`);
      continue;
    }
    if (anchor && resolved.endsWith('.md') && !headingAnchors(fs.readFileSync(resolved, 'utf8')).has(anchor))
      broken.push(`${href}: no heading #${anchor} in ${path.relative(root, resolved)}`);
  }
  return broken;
}

/** The prose of a Markdown text: what is left outside generated blocks, code blocks and code spans. */
function proseOutsideBlocks(text: string): string {
  let rest = '';
  let at = 0;
  for (const b of findGeneratedBlocks(text)) {
    rest += text.slice(at, b.bodyStart);
    at = b.bodyEnd;
  }
  rest += text.slice(at);
  const words: string[] = [];
  marked.walkTokens(marked.lexer(rest), (t: Token) => {
    if (t.type === 'text' && !('tokens' in t && t.tokens?.length)) words.push(t.text);
  });
  return words.join('\n');
}

/** A measured figure in prose: a decimal (other than the 1.0 that intervals are read against) or a ratio. */
const FIGURE = /(?<![\d.])(?!1\.0(?![\d]))\d+\.\d+|\d\s*×/;

describe('docs links', () => {
  it('finds links outside code, and GitHub heading anchors', () => {
    const text = '# The cost, at `c7a472d`\n\nSee [a](a.md#x) and ![i](i.png); `[not](b.md)`\n\n    [nor](c.md)\n';
    expect(linkTargets(text)).toEqual(['a.md#x', 'i.png']);
    expect([...headingAnchors(text)]).toEqual(['the-cost-at-c7a472d']);
    expect(FIGURE.test('hakmem is 1.18× mimalloc')).toBe(true);
    expect(FIGURE.test('at 56.0 instructions')).toBe(true);
    expect(FIGURE.test('an interval wholly above 1.0, at least 9 rounds, a 95 % interval')).toBe(false);
  });

  it('reports a missing file, a missing heading and a path out of the repository', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-docs-links-'));
    try {
      fs.mkdirSync(path.join(root, 'docs'));
      fs.writeFileSync(path.join(root, 'docs', 'b.md'), '# Here\n');
      fs.writeFileSync(
        path.join(root, 'docs', 'a.md'),
        '[ok](b.md#here) [gone](c.md) [no heading](b.md#there) [out](../../x.md) [self](#nowhere) [web](https://x.org)\n',
      );
      expect(brokenLinks(path.join('docs', 'a.md'), root)).toEqual([
        'c.md: no such file docs/c.md',
        'b.md#there: no heading #there in docs/b.md',
        '../../x.md: outside the repository',
        '#nowhere: no heading #nowhere in docs/a.md',
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it.each(docFiles())('%s: every relative link resolves', (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  it('no tracked file points outside the repository, at the specs kept beside it', async () => {
    // Spelled in parts so that this file does not match itself.
    const needles = [['..', 'shared'].join('/'), ['shared', 'spec', ''].join('/')];
    const r = await execa('git', ['grep', '-n', '-I', '-F', ...needles.flatMap((n) => ['-e', n])], {
      cwd: repoRoot,
      reject: false,
    });
    expect(r.exitCode, r.stderr).not.toBe(2);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([]);
  });

  it('docs/performance.md is under 300 lines and quotes no figure outside its generated blocks', () => {
    const text = fs.readFileSync(path.join(repoRoot, 'docs', 'performance.md'), 'utf8');
    expect(text.split('\n').length).toBeLessThan(300);
    expect(findGeneratedBlocks(text).length).toBeGreaterThan(0);
    const figures = proseOutsideBlocks(text)
      .split('\n')
      .filter((line) => FIGURE.test(line));
    expect(figures).toEqual([]);
  });
});
