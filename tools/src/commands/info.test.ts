import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { arMembers, findSection } from '../bench/elf.ts';
import { MANIFEST_SECTION, parseManifest, readLibraryInfo, runInfo } from './info.ts';
import { repoRoot } from '../paths.ts';

const lib = path.join(repoRoot, 'dist', 'native', 'lib');
const generated = (mode: string, macro: string): string => {
  const h = fs.readFileSync(path.join(repoRoot, 'native', 'generated', mode, 'hakmem_build.h'), 'utf8');
  return new RegExp(`#define ${macro} "([^"]*)"`).exec(h)?.[1] ?? '';
};
const version = (pkg: string): string =>
  (JSON.parse(fs.readFileSync(path.join(repoRoot, 'packages', pkg, 'package.json'), 'utf8')) as { version: string })
    .version;
const BOXES = ['box-front', 'box-unified-cache', 'box-large', 'box-superslab', 'box-remote', 'box-env'];
let tmp: string;

beforeAll(async () => {
  await execa('make', ['-s', '-C', path.join(repoRoot, 'native'), 'libs']);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-info-'));
  return () => fs.rmSync(tmp, { recursive: true, force: true });
}, 600_000);

describe('hakmem info reads the manifest from the file alone', () => {
  const cases: [string, string, string | undefined][] = [
    ['libhakmem-fast.so', 'fast', undefined],
    ['libhakmem.so', 'standard', undefined],
    ['libhakmem-observe.so', 'observe', undefined],
    ['libhakmem.a', 'standard', 'manifest.o'],
    ['libhakmem-fast.a', 'fast', 'manifest.o'],
  ];
  it.each(cases)('%s is %s, with the versions and hash it was generated with', (file, mode, member) => {
    const info = readLibraryInfo(path.join(lib, file));
    expect(info.member).toBe(member);
    const m = info.manifest;
    expect(m.format).toBe(1);
    expect(m.mode).toBe(mode);
    expect(m.profile).toBe(generated(mode, 'HAKMEM_PROFILE_NAME'));
    expect(m.configHash).toBe(generated(mode, 'HAKMEM_CONFIG_HASH'));
    expect(m.boxes).toEqual(Object.fromEntries(BOXES.map((b) => [b, version(b)])));
    expect(m.codegen).toBe(version('codegen'));
    expect(m.compiler).toMatch(/^(gcc|clang) \d/);
    expect(m.cflags).toContain('-fPIC');
    expect(m.cflags).not.toContain('-I');
  });

  it('a copy of the library in a temporary directory says the same', () => {
    for (const f of ['libhakmem-fast.so', 'libhakmem.a']) {
      const copy = path.join(tmp, f);
      fs.copyFileSync(path.join(lib, f), copy);
      expect(readLibraryInfo(copy).manifest).toEqual(readLibraryInfo(path.join(lib, f)).manifest);
    }
  });

  it('agrees with what hak_build_info() returns when the library is loaded', async () => {
    const src = path.join(tmp, 'bi.c');
    fs.writeFileSync(
      src,
      '#include <stdio.h>\n#include "hakmem.h"\nint main(void) { const hak_build_info_t *b = hak_build_info();\n' +
        'printf("%s %s %s %s %s %s %s %s %s\\n", b->mode, b->profile, b->config_hash, b->box_front, b->box_unified_cache, b->box_large,' +
        ' b->box_superslab, b->box_remote, b->box_env); return 0; }\n',
    );
    for (const [name, so] of [
      ['fast', 'hakmem-fast'],
      ['standard', 'hakmem'],
    ] as const) {
      const exe = path.join(tmp, `bi-${name}`);
      await execa('cc', [
        '-I',
        path.join(repoRoot, 'native', 'include'),
        src,
        '-o',
        exe,
        `-L${lib}`,
        `-l${so}`,
        `-Wl,-rpath,${lib}`,
      ]);
      const { stdout } = await execa(exe, { env: { HAKMEM_PROFILE: '' } });
      const m = readLibraryInfo(path.join(lib, `lib${so}.so`)).manifest;
      expect(stdout.trim()).toBe([m.mode, m.profile, m.configHash, ...BOXES.map((b) => m.boxes[b])].join(' '));
    }
  });

  it('prints it human-readably, or as JSON with --json (the CLI)', async () => {
    const so = path.join(lib, 'libhakmem.so');
    const human = await execa('node', [path.join(repoRoot, 'tools', 'bin', 'hakmem.mjs'), 'info', so]);
    expect(human.stdout).toContain(`${so}: hakmem standard`);
    expect(human.stdout).toMatch(new RegExp(`@hakmem/box-front +${version('box-front').replace(/\./g, '\\.')}`));
    expect(human.stdout).toMatch(/config hash +[0-9a-f]{16}/);
    const json = await execa('node', [
      path.join(repoRoot, 'tools', 'bin', 'hakmem.mjs'),
      'info',
      '--json',
      path.join(lib, 'libhakmem-fast.a'),
    ]);
    const parsed = JSON.parse(json.stdout) as { mode: string; member: string; boxes: Record<string, string> };
    expect(parsed).toMatchObject({
      mode: 'fast',
      member: 'manifest.o',
      boxes: { 'box-remote': version('box-remote') },
    });
  });

  it('a file without the section: one clear line, exit 1', async () => {
    const obj = path.join(tmp, 'plain.so');
    fs.writeFileSync(path.join(tmp, 'plain.c'), 'int plain(void) { return 1; }\n');
    await execa('cc', ['-shared', '-fPIC', path.join(tmp, 'plain.c'), '-o', obj]);
    const r = runInfo(obj);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `hakmem info: ${obj}: no hakmem manifest (no ${MANIFEST_SECTION} section): not a hakmem library, or one built before manifests\n`,
    );
    const text = path.join(tmp, 'notes.txt');
    fs.writeFileSync(text, 'hello\n');
    expect(runInfo(text).stderr.trim().split('\n')).toHaveLength(1);
    expect(runInfo(text).code).toBe(1);
    const cli = await execa('node', [path.join(repoRoot, 'tools', 'bin', 'hakmem.mjs'), 'info', obj], {
      reject: false,
    });
    expect(cli.exitCode).toBe(1);
    expect(cli.stdout).toBe('');
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('reads ar archives with long member names and static archives without the section', async () => {
    const o = path.join(tmp, 'a_member_with_a_very_long_name.o');
    fs.writeFileSync(
      path.join(tmp, 'm.c'),
      `__attribute__((section("${MANIFEST_SECTION}"), used)) static const char m[] = "hakmem-manifest=1\\nmode=test\\n";\n`,
    );
    await execa('cc', ['-c', path.join(tmp, 'm.c'), '-o', o]);
    const a = path.join(tmp, 'libt.a');
    await execa('ar', ['rcs', a, path.join(tmp, 'plain.c'), o]);
    const buf = fs.readFileSync(a);
    expect(arMembers(buf).map((x) => x.name)).toEqual(['plain.c', 'a_member_with_a_very_long_name.o']);
    expect(findSection(buf, MANIFEST_SECTION)?.member).toBe('a_member_with_a_very_long_name.o');
    expect(readLibraryInfo(a).manifest.mode).toBe('test');
    expect(parseManifest('hakmem-manifest=1\nmode=x\nfuture=y\n\0garbage=1').other).toEqual({ future: 'y' });
  });
});
