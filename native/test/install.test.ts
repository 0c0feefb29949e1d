// make -C native install: the installed layout, pkg-config, and a program built against the
// installed copy that runs on hakmem; `hakmem info` on the installed library shows its versions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');
const version = (dir: string): string =>
  (JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8')) as { version: string }).version;
let tmp: string;
let prefix: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-install-'));
  prefix = path.join(tmp, 'prefix');
  await execa('make', ['-s', '-C', path.join(root, 'native'), 'install', `PREFIX=${prefix}`]);
}, 600_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('make install PREFIX=…', () => {
  it('installs the libraries, the header, the pkg-config files, the manifest and the docs', () => {
    const files = [
      'lib/libhakmem.so',
      'lib/libhakmem-fast.so',
      'lib/libhakmem-observe.so',
      'lib/libhakmem.a',
      'lib/libhakmem-fast.a',
      'include/hakmem.h',
      'lib/pkgconfig/hakmem.pc',
      'lib/pkgconfig/hakmem-fast.pc',
      'share/hakmem/manifest.json',
      'share/doc/hakmem/README.md',
      'share/doc/hakmem/knobs.md',
    ];
    for (const f of files) expect(fs.existsSync(path.join(prefix, f)), f).toBe(true);
    for (const p of fs.readdirSync(path.join(root, 'packages'))) {
      if (fs.existsSync(path.join(root, 'packages', p, 'CHANGELOG.md'))) {
        expect(fs.existsSync(path.join(prefix, 'share/doc/hakmem', p, 'CHANGELOG.md')), p).toBe(true);
      }
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(prefix, 'share/hakmem/manifest.json'), 'utf8')) as {
      configHash: string;
      packages: { package: string; version: string; knobs: Record<string, { default: unknown; value: unknown }> }[];
    };
    expect(manifest.configHash).toMatch(/^[0-9a-f]{16}$/);
    expect(manifest.packages.map((p) => [p.package, p.version])).toEqual(
      ['box-front', 'box-unified-cache', 'box-large', 'box-superslab', 'box-remote', 'box-env'].map((b) => [
        `@hakmem/${b}`,
        version(`packages/${b}`),
      ]),
    );
    expect(manifest.packages[1]!.knobs['unifiedCache.capacity']).toHaveProperty('default');
    const pc = fs.readFileSync(path.join(prefix, 'lib/pkgconfig/hakmem-fast.pc'), 'utf8');
    expect(pc).toContain(`prefix=${prefix}\n`);
    expect(pc).toContain('Libs: -L${libdir} -lhakmem-fast\n');
    expect(pc).toContain('Libs.private: -pthread\n');
    expect(pc).toContain('Cflags: -I${includedir}\n');
  });

  it('DESTDIR stages the same tree under another root; the .pc files still name PREFIX', async () => {
    const stage = path.join(tmp, 'stage');
    await execa('make', ['-s', '-C', path.join(root, 'native'), 'install', 'PREFIX=/opt/hakmem', `DESTDIR=${stage}`]);
    expect(fs.existsSync(path.join(stage, 'opt/hakmem/lib/libhakmem.so'))).toBe(true);
    expect(fs.readFileSync(path.join(stage, 'opt/hakmem/lib/pkgconfig/hakmem.pc'), 'utf8')).toContain(
      'prefix=/opt/hakmem\n',
    );
  }, 300_000);

  it('a program built with pkg-config runs on the installed hakmem (shared and static FAST)', async () => {
    const src = path.join(tmp, 'app.c');
    fs.writeFileSync(
      src,
      [
        '#include <stdio.h>',
        '#include <stdlib.h>',
        '#include <string.h>',
        '#include "hakmem.h"',
        'int main(void) {',
        '  char *p = malloc(100);',
        '  if (!p) return 1;',
        '  strcpy(p, "hello");',
        "  /* malloc is hakmem's: hakmem knows the block */",
        '  size_t n = hak_usable_size(p);',
        '  const hak_build_info_t *b = hak_build_info();',
        '  printf("mode=%s box-front=%s usable=%zu %s\\n", b->mode, b->box_front, n, p);',
        '  free(p);',
        '  return n >= 100 ? 0 : 2;',
        '}',
        '',
      ].join('\n'),
    );
    const env = { PKG_CONFIG_PATH: path.join(prefix, 'lib', 'pkgconfig') };
    const flags = (await execa('pkg-config', ['--cflags', '--libs', 'hakmem'], { env })).stdout
      .split(/\s+/)
      .filter(Boolean);
    expect(flags).toEqual([`-I${prefix}/include`, `-L${prefix}/lib`, '-lhakmem']);
    const app = path.join(tmp, 'app');
    await execa('cc', [src, '-o', app, ...flags]);
    const r = await execa(app, { env: { LD_LIBRARY_PATH: path.join(prefix, 'lib') } });
    expect(r.stdout).toMatch(
      new RegExp(`^mode=standard box-front=${version('packages/box-front').replace(/\./g, '\\.')} usable=\\d+ hello$`),
    );
    const ldd = await execa('ldd', [app], { env: { LD_LIBRARY_PATH: path.join(prefix, 'lib') } });
    expect(ldd.stdout).toContain(`${prefix}/lib/libhakmem.so`);

    const staticFlags = (await execa('pkg-config', ['--static', '--cflags', '--libs', 'hakmem-fast'], { env })).stdout
      .split(/\s+/)
      .filter(Boolean);
    const appStatic = path.join(tmp, 'app-static');
    await execa('cc', [
      src,
      '-o',
      appStatic,
      ...staticFlags.map((f) => (f === '-lhakmem-fast' ? `${prefix}/lib/libhakmem-fast.a` : f)),
    ]);
    expect((await execa(appStatic)).stdout).toMatch(/^mode=fast /);
  }, 300_000);

  it('hakmem info on the installed library shows the version', async () => {
    const hakmem = path.join(root, 'tools', 'bin', 'hakmem.mjs');
    const r = await execa('node', [hakmem, 'info', path.join(prefix, 'lib', 'libhakmem.so')]);
    expect(r.stdout).toMatch(
      new RegExp(`@hakmem/box-front +${version('packages/box-front').replace(/\./g, '\\.')}\\n`),
    );
    const j = JSON.parse(
      (await execa('node', [hakmem, 'info', '--json', path.join(prefix, 'lib', 'libhakmem-fast.a')])).stdout,
    ) as { mode: string };
    expect(j.mode).toBe('fast');
  }, 120_000);
});
