/**
 * `npm run release [-- --skip-tests]` (`hakmem release`): a release, as a dry run — nothing is published, tagged
 * or committed.
 *
 *   1. the release plan (`changeset status --output`); nothing pending: stop;
 *   2. `changeset version`: package versions and CHANGELOG.md entries; the distribution version
 *      (native/package.json) moves by the largest bump of the plan; package-lock.json follows;
 *   3. `npm run codegen`: the headers carry the new box versions;
 *      packages/box-* /declaration.json: the declarations as released (check-changesets' baseline);
 *   4. `make -C native`: all three modes (and the tests' programs);
 *   5. `vitest run` (unless --skip-tests);
 *   6. dist/release/: hakmem-<version>-linux-<arch>.tar.gz (the `make install` layout, PREFIX
 *      /usr/local), an `npm pack` tarball per released package, SHA256SUMS.
 *
 * The version changes stay in the working tree for review and a commit ("release: …").
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export interface PlannedRelease {
  name: string;
  type: 'major' | 'minor' | 'patch' | 'none';
  oldVersion: string;
  newVersion: string;
}

export interface ReleaseOptions {
  root: string;
  skipTests?: boolean;
  log?: (line: string) => void;
}

export interface ReleaseResult {
  version: string;
  releases: PlannedRelease[];
  outDir: string;
  files: string[];
}

const RANK = { none: 0, patch: 1, minor: 2, major: 3 } as const;

export function bumpVersion(v: string, type: PlannedRelease['type']): string {
  const [maj, min, pat] = v.split('-')[0]!.split('.').map(Number) as [number, number, number];
  if (type === 'major') return `${maj + 1}.0.0`;
  if (type === 'minor') return `${maj}.${min + 1}.0`;
  if (type === 'patch') return `${maj}.${min}.${pat + 1}`;
  return v;
}

const arch = (): string => (({ x64: 'x86_64', arm64: 'aarch64' }) as Record<string, string>)[os.arch()] ?? os.arch();

export async function release(opts: ReleaseOptions): Promise<ReleaseResult> {
  const { root } = opts;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const bin = (name: string): string => path.join(root, 'node_modules', '.bin', name);
  const run = async (cmd: string, args: string[], env: Record<string, string> = {}): Promise<void> => {
    log(`release: ${path.basename(cmd)} ${args.join(' ')}`);
    await execa(cmd, args, { cwd: root, stdout: 'pipe', stderr: 'pipe', env: { NX_DAEMON: 'false', ...env } });
  };

  // 1. the plan
  const planFile = path.join(os.tmpdir(), `hakmem-release-plan-${process.pid}.json`);
  await run(bin('changeset'), ['status', `--output=${planFile}`]);
  const plan = JSON.parse(fs.readFileSync(planFile, 'utf8')) as { releases: PlannedRelease[] };
  fs.rmSync(planFile, { force: true });
  const releases = plan.releases.filter((r) => r.type !== 'none');
  if (releases.length === 0) throw new Error('nothing to release: no pending changesets (npx changeset)');
  for (const r of releases) log(`release: ${r.name} ${r.oldVersion} -> ${r.newVersion} (${r.type})`);

  // 2. versions and changelogs; the distribution's version
  await run(bin('changeset'), ['version']);
  const top = releases.reduce<PlannedRelease['type']>((t, r) => (RANK[r.type] > RANK[t] ? r.type : t), 'none');
  const nativePkgFile = path.join(root, 'native', 'package.json');
  const nativePkg = JSON.parse(fs.readFileSync(nativePkgFile, 'utf8')) as { version: string };
  nativePkg.version = bumpVersion(nativePkg.version, top);
  fs.writeFileSync(nativePkgFile, `${JSON.stringify(nativePkg, null, 2)}\n`);
  const version = nativePkg.version;
  log(`release: hakmem ${version}`);
  // package-lock.json records the workspace versions: without this, npm ci refuses the release commit
  await run('npm', [
    'install',
    '--package-lock-only',
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
  ]);

  // 3. headers with the new versions; the released declarations
  await run(bin('tsx'), [path.join(root, 'packages', 'codegen', 'src', 'cli.ts')]);
  // (in this process: nothing has loaded the box declarations yet, so they are read as versioned above)
  const { writeDeclarations } = await import('./release-declarations.ts');
  for (const f of await writeDeclarations(root)) log(`release: wrote ${f}`);

  // 4. every mode (and the programs the tests run)
  await run('make', ['-s', '-C', path.join(root, 'native'), '-j', String(Math.max(1, os.availableParallelism()))]);

  // 5. the tests
  // (not the release test itself: it would clone this tree and release it once more)
  if (!opts.skipTests) await run(bin('vitest'), ['run'], { HAKMEM_SKIP_RELEASE_TEST: '1' });
  else log('release: tests skipped (--skip-tests)');

  // 6. dist/release
  const outDir = path.join(root, 'dist', 'release');
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-release-'));
  try {
    const name = `hakmem-${version}-linux-${arch()}`;
    await run('make', ['-s', '-C', path.join(root, 'native'), 'install', 'PREFIX=/usr/local', `DESTDIR=${stage}`]);
    fs.renameSync(path.join(stage, 'usr', 'local'), path.join(stage, name));
    await run('tar', [
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '-C',
      stage,
      '-czf',
      path.join(outDir, `${name}.tar.gz`),
      name,
    ]);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
  const workspaces = [...fs.readdirSync(path.join(root, 'packages')).map((d) => `packages/${d}`), 'native', 'tools'];
  const locationOf = new Map(
    workspaces
      .filter((w) => fs.existsSync(path.join(root, w, 'package.json')))
      .map((w) => [
        (JSON.parse(fs.readFileSync(path.join(root, w, 'package.json'), 'utf8')) as { name: string }).name,
        w,
      ]),
  );
  for (const r of releases) {
    const location = locationOf.get(r.name);
    if (!location) throw new Error(`${r.name}: not a workspace package`);
    await run('npm', ['pack', '--silent', '--pack-destination', outDir, `./${location}`]);
  }
  const files = fs
    .readdirSync(outDir)
    .filter((f) => f.endsWith('.tgz') || f.endsWith('.tar.gz'))
    .sort();
  const sums = files
    .map(
      (f) =>
        `${createHash('sha256')
          .update(fs.readFileSync(path.join(outDir, f)))
          .digest('hex')}  ${f}\n`,
    )
    .join('');
  fs.writeFileSync(path.join(outDir, 'SHA256SUMS'), sums);
  log(`release: dist/release: ${[...files, 'SHA256SUMS'].join(', ')}`);
  log(
    'release: versions, changelogs, headers and declaration.json are changed in the working tree: review, then commit ("release: …"); nothing was published',
  );
  return { version, releases, outDir, files: [...files, 'SHA256SUMS'] };
}
