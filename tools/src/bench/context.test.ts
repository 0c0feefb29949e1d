import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hakmemBuildInfos, looksLikeHakmem, toLibraryBuildInfo } from './build-info.ts';
import { collectContext, readBuildHeader } from './context.ts';
import { parseManifest } from '../commands/info.ts';
import { defaultLibDir } from '../paths.ts';

const header = `/* generated */
#define HAKMEM_MODE_NAME "fast"
#define HAKMEM_FAST 1
#define HAKMEM_CONFIG_HASH "0123456789abcdef"
`;

const fastLib = path.join(defaultLibDir, 'libhakmem-fast.so');
const manifest =
  'hakmem-manifest=1\nmode=fast\nprofile=balanced\nconfig_hash=0123456789abcdef\nbox.box-front=0.1.0\nbox.box-superslab=0.1.0\nbox.box-remote=0.1.0\nbox.box-env=0.2.0\n';

describe('build info from the library', () => {
  it('turns a manifest into LibraryBuildInfo', () => {
    expect(toLibraryBuildInfo('/x/libhakmem-fast.so', parseManifest(manifest))).toEqual({
      path: '/x/libhakmem-fast.so',
      mode: 'fast',
      profile: 'balanced',
      configHash: '0123456789abcdef',
      boxVersions: 'box-front@0.1.0 box-superslab@0.1.0 box-remote@0.1.0 box-env@0.2.0',
    });
    expect(toLibraryBuildInfo('/x', parseManifest(''))).toEqual({
      path: '/x',
      mode: null,
      profile: null,
      configHash: null,
      boxVersions: null,
    });
  });
  it('knows hakmem libraries by name', () => {
    expect(looksLikeHakmem('/a/libhakmem.so')).toBe(true);
    expect(looksLikeHakmem('/a/libhakmem-fast.so')).toBe(true);
    expect(looksLikeHakmem('/usr/lib/libmimalloc.so.2')).toBe(false);
  });
  it.runIf(fs.existsSync(fastLib))('reads the built FAST library itself', () => {
    const info = hakmemBuildInfos([{ name: 'hakmem-fast', preload: fastLib }])['hakmem-fast']!;
    expect(info.mode).toBe('fast');
    expect(info.configHash).toMatch(/^[0-9a-f]{16}$/);
    expect(info.boxVersions).toMatch(
      /^box-front@\S+ box-unified-cache@\S+ box-large@\S+ box-superslab@\S+ box-remote@\S+ box-env@\S+$/,
    );
    expect(info.profile).not.toBeNull();
  });
  it.runIf(fs.existsSync(path.join(defaultLibDir, 'libhakmem-observe.so')))(
    'reads a library dlopen() refuses (static TLS) without loading it',
    () => {
      const lib = path.join(defaultLibDir, 'libhakmem-observe.so');
      expect(hakmemBuildInfos([{ name: 'o', preload: lib }]).o!.mode).toBe('observe');
    },
  );
  it('skips libraries that are not hakmem and notes a hakmem library it cannot read', () => {
    const glibcLibc = ['/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libc.so.6'].find((f) =>
      fs.existsSync(f),
    );
    const infos = hakmemBuildInfos([
      { name: 'glibc', preload: null },
      ...(glibcLibc ? [{ name: 'other', preload: glibcLibc }] : []),
      { name: 'gone', preload: '/nonexistent/libhakmem-fast.so' },
    ]);
    expect(Object.keys(infos)).toEqual(['gone']);
    expect(infos.gone).toMatchObject({ mode: null, configHash: null });
    expect(infos.gone!.note).toMatch(/cannot read/);
  });
});

describe('context', () => {
  it('reads a generated build header (ab builds)', () => {
    expect(readBuildHeader(header)).toMatchObject({ HAKMEM_MODE_NAME: 'fast', HAKMEM_CONFIG_HASH: '0123456789abcdef' });
  });
  it('collects the machine context', async () => {
    const c = await collectContext([{ name: 'glibc', preload: null }]);
    expect(c.nproc).toBeGreaterThan(0);
    expect(c.cpuModel).not.toBe('');
    expect(new Date(c.date).getTime()).not.toBeNaN();
    expect(c.compiler).not.toBe('unknown');
    expect(c.hakmem).toEqual({});
  });
  it.runIf(fs.existsSync(fastLib))('records the measured library, not the tree', async () => {
    const c = await collectContext([{ name: 'hakmem-fast', preload: fastLib }]);
    expect(c.hakmem['hakmem-fast']!.mode).toBe('fast');
  });
});
