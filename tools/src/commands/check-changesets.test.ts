import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkChangesets, declarationChanges, pendingBumps, type DeclarationLike } from './check-changesets.ts';

let root: string;
const git = (...args: string[]): string =>
  execFileSync('git', args, {
    cwd: root,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  }).trim();
const write = (rel: string, text: string): void => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
};
const commit = (msg: string): string => {
  git('add', '-A');
  git('commit', '-q', '-m', msg);
  return git('rev-parse', 'HEAD');
};
const changeset = (file: string, pkg: string, bump: string): void =>
  write(`.changeset/${file}.md`, `---\n"${pkg}": ${bump}\n---\n\nWhy.\n`);

const decl = (knobs: DeclarationLike['knobs']): DeclarationLike => ({
  package: '@hakmem/box-front',
  version: '0.1.0',
  knobs,
  invariants: [],
  counters: {},
});
const capacity = { kind: 'int', scope: 'env', env: 'HAKMEM_UNIFIED_CACHE_CAPACITY', default: 128, min: 1, max: 4096 };
const batch = { kind: 'int', scope: 'env', env: 'HAKMEM_UNIFIED_CACHE_BATCH', default: 32, min: 1, max: 256 };
const released = decl({ 'unifiedCache.capacity': capacity, 'unifiedCache.batch': batch });

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-cs-'));
  git('init', '-q', '-b', 'main');
  for (const [dir, files] of [
    ['box-front', ['native/src/front/front.c', 'native/src/unified_cache.c']],
    ['box-superslab', ['native/src/superslab/']], // a folder: every file in it
  ] as const) {
    write(
      `packages/${dir}/package.json`,
      JSON.stringify({ name: `@hakmem/${dir}`, version: '0.1.0', private: true, hakmem: { cFiles: files } }),
    );
    write(`packages/${dir}/src/box.ts`, 'export {};\n');
    for (const f of files) write(f.endsWith('/') ? `${f}superslab.c` : f, '/* c */\n');
  }
  write('packages/box-kit/package.json', JSON.stringify({ name: '@hakmem/box-kit', version: '0.1.0' }));
  write('native/src/init.c', '/* init */\n');
  write('.changeset/README.md', '# Changesets\n');
  write('.changeset/config.json', '{}\n');
  commit('first');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('check-changesets: which boxes changed, against which base', () => {
  it('with no release yet, the base is the last commit touching .changeset; a changed C file names its box and the command', () => {
    write('native/src/superslab/superslab.c', '/* changed */\n');
    commit('superslab: change');
    const r = checkChangesets(root);
    expect(r.base.why).toMatch(/last commit touching \.changeset/);
    expect(r.problems).toEqual([
      expect.stringMatching(
        /^box-superslab: native\/src\/superslab\/superslab\.c changed since [0-9a-f]{7} \(.*\) without a changeset for @hakmem\/box-superslab: run npx changeset \(pick @hakmem\/box-superslab, patch\)$/,
      ),
    ]);
  });

  it('a release commit (declaration.json written) is the base on a linear main: nothing since it, nothing to do', () => {
    write('native/src/front/front.c', '/* old change */\n');
    commit('front: old change, before the release');
    write('packages/box-front/declaration.json', JSON.stringify(released));
    const rel = commit('release');
    const r = checkChangesets(root);
    expect(r.base).toEqual({ sha: rel, why: expect.stringMatching(/last release commit/) });
    expect(r.problems).toEqual([]);
  });

  it('after the release: a box C file or declaration change fails until a changeset names the box; unowned files and tests do not count', () => {
    write('packages/box-front/declaration.json', JSON.stringify(released));
    commit('release');
    write('native/src/init.c', '/* not a box */\n');
    write('packages/box-front/src/box.test.ts', '// a test\n');
    commit('init and a test');
    expect(checkChangesets(root).problems).toEqual([]);
    write('native/src/unified_cache.c', '/* changed */\n');
    write('packages/box-superslab/src/box.ts', 'export const x = 1;\n');
    commit('two boxes');
    const failing = checkChangesets(root).problems;
    expect(failing).toHaveLength(2);
    expect(failing[0]).toMatch(/^box-front: native\/src\/unified_cache\.c changed .* run npx changeset/);
    expect(failing[1]).toMatch(/^box-superslab: packages\/box-superslab\/src\/box\.ts changed .* run npx changeset/);
    changeset('front-fix', '@hakmem/box-front', 'patch');
    expect(checkChangesets(root).problems).toEqual([expect.stringMatching(/^box-superslab: /)]);
    changeset('ss', '@hakmem/box-superslab', 'minor');
    const ok = checkChangesets(root);
    expect(ok.problems).toEqual([]);
    expect(ok.covered).toHaveLength(2);
  });

  it('uncommitted and untracked changes count (the working tree is compared)', () => {
    write('packages/box-front/declaration.json', JSON.stringify(released));
    commit('release');
    write('native/src/front/front.c', '/* edited, not committed */\n');
    expect(checkChangesets(root).problems).toEqual([
      expect.stringMatching(/^box-front: native\/src\/front\/front\.c changed/),
    ]);
  });

  it('--since REF and the merge base with origin/main', () => {
    const first = git('rev-parse', 'HEAD');
    write('native/src/superslab/superslab.c', '/* on main */\n');
    const onMain = commit('main moves');
    git('update-ref', 'refs/remotes/origin/main', onMain);
    git('checkout', '-q', '-b', 'topic');
    write('native/src/front/front.c', '/* on the branch */\n');
    commit('branch work');
    const r = checkChangesets(root);
    expect(r.base).toEqual({ sha: onMain, why: 'the merge base with origin/main' });
    expect(r.problems).toEqual([expect.stringMatching(/^box-front: /)]);
    const s = checkChangesets(root, { since: first });
    expect(s.base.why).toBe(`--since ${first}`);
    expect(s.problems.map((p) => p.split(':')[0])).toEqual(['box-front', 'box-superslab']);
    // HEAD on origin/main itself (CI on main): falls back to the release/changeset commit, not to HEAD
    git('update-ref', 'refs/remotes/origin/main', git('rev-parse', 'HEAD'));
    expect(checkChangesets(root).base.why).not.toBe('the merge base with origin/main');
  });

  it('pending bumps: the largest per package over every changeset', () => {
    changeset('a', '@hakmem/box-front', 'patch');
    write(
      '.changeset/b.md',
      '---\n\'@hakmem/box-front\': minor\n"@hakmem/box-remote": major\n---\n\ntext: with a colon\n',
    );
    expect(pendingBumps(root)).toEqual(
      new Map([
        ['@hakmem/box-front', 'minor'],
        ['@hakmem/box-remote', 'major'],
      ]),
    );
  });
});

describe('check-changesets: declaration compatibility against declaration.json', () => {
  beforeEach(() => {
    write('packages/box-front/declaration.json', JSON.stringify(released));
    commit('release');
  });

  it('a knob removal marked as patch is rejected, saying what changed and which bump it needs', () => {
    write('packages/box-front/src/box.ts', 'export const removed = true;\n');
    changeset('remove-batch', '@hakmem/box-front', 'patch');
    const current = new Map([['box-front', decl({ 'unifiedCache.capacity': capacity })]]);
    const r = checkChangesets(root, { declarations: current });
    expect(r.problems).toEqual([
      'box-front: knob unifiedCache.batch removed or renamed (major) needs a major bump of @hakmem/box-front, its pending changesets give patch: run npx changeset (pick @hakmem/box-front, major) or raise the bump in .changeset/',
    ]);
    fs.writeFileSync(
      path.join(root, '.changeset/remove-batch.md'),
      '---\n"@hakmem/box-front": major\n---\n\nbatch is gone.\n',
    );
    expect(checkChangesets(root, { declarations: current }).problems).toEqual([]);
  });

  it('a changed default or a tightened range needs minor; an added knob minor; a widened range patch', () => {
    expect(
      declarationChanges(
        released,
        decl({ 'unifiedCache.capacity': { ...capacity, default: 64 }, 'unifiedCache.batch': batch }),
      ),
    ).toEqual([{ what: 'unifiedCache.capacity default 128 -> 64', bump: 'minor' }]);
    expect(
      declarationChanges(
        released,
        decl({ 'unifiedCache.capacity': { ...capacity, max: 1024 }, 'unifiedCache.batch': batch }),
      ),
    ).toEqual([{ what: 'unifiedCache.capacity range tightened [1, 4096] -> [1, 1024]', bump: 'minor' }]);
    expect(
      declarationChanges(
        released,
        decl({ 'unifiedCache.capacity': { ...capacity, max: 8192 }, 'unifiedCache.batch': batch }),
      )[0]!.bump,
    ).toBe('patch');
    expect(declarationChanges(released, decl({ ...released.knobs, 'unifiedCache.new': batch }))).toEqual([
      { what: 'knob unifiedCache.new added', bump: 'minor' },
    ]);
    expect(
      declarationChanges(
        released,
        decl({ 'unifiedCache.capacity': { ...capacity, env: 'HAKMEM_CAP' }, 'unifiedCache.batch': batch }),
      )[0]!.bump,
    ).toBe('major');
  });

  it('a declaration change with no changeset at all fails too; a default change with a minor changeset passes', () => {
    const current = new Map([
      ['box-front', decl({ 'unifiedCache.capacity': { ...capacity, default: 256 }, 'unifiedCache.batch': batch })],
    ]);
    write('packages/box-front/src/box.ts', 'export const bigger = true;\n');
    expect(checkChangesets(root, { declarations: current }).problems).toEqual([
      expect.stringMatching(
        /^box-front: packages\/box-front\/src\/box\.ts changed since .* without a changeset for @hakmem\/box-front: run npx changeset \(pick @hakmem\/box-front, minor\)$/,
      ),
    ]);
    changeset('bigger', '@hakmem/box-front', 'minor');
    expect(checkChangesets(root, { declarations: current }).problems).toEqual([]);
  });
});
