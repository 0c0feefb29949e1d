// npm run release in a temporary clone: one box's changeset moves that box's version and
// changelog only (no package depends on a box: codegen finds the boxes by path), the rebuilt
// library says the new version, and dist/release holds the tarballs and their sums.
// About a minute (a clone and a full native build); HAKMEM_SKIP_RELEASE_TEST=1 skips it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireHeavyLock } from '../../../native/test/helpers.ts';
import { bumpVersion } from './release.ts';
import { readLibraryInfo } from './info.ts';
import { repoRoot } from '../paths.ts';

const skip = process.env.HAKMEM_SKIP_RELEASE_TEST === '1';
let tmp: string;
let clone: string;
const pkgVersion = (dir: string): string =>
  (JSON.parse(fs.readFileSync(path.join(clone, dir, 'package.json'), 'utf8')) as { version: string }).version;
const git = (...args: string[]): string =>
  execFileSync('git', args, {
    cwd: clone,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  }).trim();
let before: Record<string, string>;
let log = '';
let unlock: (() => void) | undefined;

describe.skipIf(skip)('npm run release (dry run) in a temporary clone', () => {
  beforeAll(async () => {
    // a full native build: not while the timing-sensitive native specs run
    unlock = await acquireHeavyLock();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-release-test-'));
    clone = path.join(tmp, 'hakmem');
    await execa('git', ['clone', '-q', repoRoot, clone]);
    // As CI's clone of main, whatever branch this checkout is on: changesets diffs against the
    // branch `main` and check-changesets against origin/main, both HEAD here (a feature branch's
    // own box changes are its business, not the release's).
    git('checkout', '-q', '-B', 'main');
    git('update-ref', 'refs/remotes/origin/main', 'HEAD');
    // node_modules: the main checkout's, except the workspace links (@hakmem/*, .bin), which are
    // relative and so point into the clone once copied as links (npm ci would take minutes).
    const nm = path.join(clone, 'node_modules');
    fs.mkdirSync(nm);
    for (const e of fs.readdirSync(path.join(repoRoot, 'node_modules'))) {
      const src = path.join(repoRoot, 'node_modules', e);
      if (e === '@hakmem' || e === '.bin')
        fs.cpSync(src, path.join(nm, e), { recursive: true, verbatimSymlinks: true });
      else fs.symlinkSync(src, path.join(nm, e));
    }
    expect(fs.realpathSync(path.join(nm, '@hakmem', 'codegen'))).toBe(
      path.join(fs.realpathSync(clone), 'packages', 'codegen'),
    );
    // a clean slate: the pending changesets of the checkout are released elsewhere
    for (const f of fs.readdirSync(path.join(clone, '.changeset')))
      if (f.endsWith('.md') && f !== 'README.md') git('rm', '-q', `.changeset/${f}`);
    git('commit', '-q', '--allow-empty', '-m', 'test: no pending changesets');
    before = Object.fromEntries(
      [
        'box-front',
        'box-unified-cache',
        'box-large',
        'box-superslab',
        'box-remote',
        'box-env',
        'box-kit',
        'codegen',
      ].map((p) => [p, pkgVersion(`packages/${p}`)]),
    );
    fs.writeFileSync(
      path.join(clone, '.changeset', 'ss-test.md'),
      '---\n"@hakmem/box-superslab": patch\n---\n\nReleased by the release test.\n',
    );
    const r = await execa(path.join(nm, '.bin', 'hakmem'), ['release', '--skip-tests'], {
      cwd: clone,
      reject: false,
      all: true,
    });
    log = r.all ?? '';
    expect(r.exitCode, log).toBe(0);
  }, 1_800_000);
  afterAll(() => {
    unlock?.();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("moves the box's version and changelog, and no other box's", () => {
    expect(pkgVersion('packages/box-superslab')).toBe(bumpVersion(before['box-superslab']!, 'patch'));
    const changelog = fs.readFileSync(path.join(clone, 'packages/box-superslab/CHANGELOG.md'), 'utf8');
    expect(changelog).toContain(`## ${pkgVersion('packages/box-superslab')}\n`);
    expect(changelog).toContain('Released by the release test.');
    // codegen depends on no box (it finds them by path), so a box's release leaves it alone too
    for (const p of ['box-front', 'box-remote', 'box-env', 'box-kit', 'codegen']) {
      expect(pkgVersion(`packages/${p}`), p).toBe(before[p]);
      expect(git('status', '--porcelain', `packages/${p}/CHANGELOG.md`), p).toBe('');
    }
    expect(fs.existsSync(path.join(clone, '.changeset', 'ss-test.md'))).toBe(false);
    const decl = JSON.parse(fs.readFileSync(path.join(clone, 'packages/box-superslab/declaration.json'), 'utf8')) as {
      version: string;
    };
    expect(decl.version).toBe(pkgVersion('packages/box-superslab'));
    const lock = JSON.parse(fs.readFileSync(path.join(clone, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    expect(lock.packages['packages/box-superslab']?.version).toBe(pkgVersion('packages/box-superslab'));
  });

  it('the rebuilt libraries say the new version (hakmem info)', async () => {
    const v = pkgVersion('packages/box-superslab');
    for (const lib of ['libhakmem.so', 'libhakmem-fast.so', 'libhakmem-observe.so', 'libhakmem.a']) {
      expect(readLibraryInfo(path.join(clone, 'dist/native/lib', lib)).manifest.boxes['box-superslab'], lib).toBe(v);
    }
    const r = await execa('node', [
      path.join(clone, 'tools/bin/hakmem.mjs'),
      'info',
      path.join(clone, 'dist/native/lib/libhakmem-fast.so'),
    ]);
    expect(r.stdout).toMatch(new RegExp(`@hakmem/box-superslab +${v.replace(/\./g, '\\.')}\\n`));
  });

  it('dist/release: the install-layout tarball, one npm pack per released package, SHA256SUMS', async () => {
    const out = path.join(clone, 'dist/release');
    const version = pkgVersion('native');
    const name = `hakmem-${version}-linux-${os.arch() === 'x64' ? 'x86_64' : os.arch()}`;
    const files = fs.readdirSync(out).sort();
    expect(files).toContain(`${name}.tar.gz`);
    expect(files).toContain(`hakmem-box-superslab-${pkgVersion('packages/box-superslab')}.tgz`);
    expect(files.filter((f) => f.startsWith('hakmem-box-front'))).toEqual([]);
    await execa('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out });
    const x = path.join(tmp, 'x');
    fs.mkdirSync(x);
    await execa('tar', ['-xzf', path.join(out, `${name}.tar.gz`), '-C', x]);
    for (const f of [
      'lib/libhakmem.so',
      'lib/libhakmem-fast.a',
      'include/hakmem.h',
      'lib/pkgconfig/hakmem.pc',
      'share/hakmem/manifest.json',
      'share/doc/hakmem/box-superslab/CHANGELOG.md',
    ]) {
      expect(fs.existsSync(path.join(x, name, f)), f).toBe(true);
    }
    expect(readLibraryInfo(path.join(x, name, 'lib/libhakmem.so')).manifest.boxes['box-superslab']).toBe(
      pkgVersion('packages/box-superslab'),
    );
  });

  it('after the release, check-changesets passes in the clone', async () => {
    const r = await execa(path.join(clone, 'node_modules/.bin/hakmem'), ['check-changesets'], {
      cwd: clone,
      reject: false,
    });
    expect(r.exitCode, r.stderr).toBe(0);
  });
});
