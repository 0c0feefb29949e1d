import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hakmemBuildInfos, looksLikeHakmem, parseBuildInfo, probeBuildInfo, toLibraryBuildInfo } from './build-info.ts';
import { collectContext, readBuildHeader } from './context.ts';
import { defaultLibDir } from './paths.ts';

const header = `/* generated */
#define HAKMEM_MODE_NAME "fast"
#define HAKMEM_FAST 1
#define HAKMEM_CONFIG_HASH "0123456789abcdef"
`;

const fastLib = path.join(defaultLibDir, 'libhakmem-fast.so');
const probeOutput = 'mode=fast\nprofile=balanced\nconfig_hash=0123456789abcdef\nbox_front=0.1.0\nbox_superslab=0.1.0\nbox_remote=0.1.0\nbox_env=0.2.0\n';

describe('build info from the library', () => {
  it('parses the probe output into LibraryBuildInfo', () => {
    expect(toLibraryBuildInfo('/x/libhakmem-fast.so', parseBuildInfo(probeOutput))).toEqual({
      path: '/x/libhakmem-fast.so', mode: 'fast', profile: 'balanced', configHash: '0123456789abcdef',
      boxVersions: 'box-front@0.1.0 box-superslab@0.1.0 box-remote@0.1.0 box-env@0.2.0',
    });
    expect(toLibraryBuildInfo('/x', parseBuildInfo(''))).toEqual({ path: '/x', mode: null, profile: null, configHash: null, boxVersions: null });
  });
  it('knows hakmem libraries by name', () => {
    expect(looksLikeHakmem('/a/libhakmem.so')).toBe(true);
    expect(looksLikeHakmem('/a/libhakmem-fast.so')).toBe(true);
    expect(looksLikeHakmem('/usr/lib/libmimalloc.so.2')).toBe(false);
  });
  it.runIf(fs.existsSync(fastLib))('asks the built FAST library itself', async () => {
    const r = await probeBuildInfo(fastLib);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.info.mode).toBe('fast');
    expect(r.info.configHash).toMatch(/^[0-9a-f]{16}$/);
    expect(r.info.boxVersions).toMatch(/^box-front@\S+ box-superslab@\S+ box-remote@\S+ box-env@\S+$/);
    expect(r.info.profile).not.toBeNull();
  });
  it.runIf(fs.existsSync(path.join(defaultLibDir, 'libhakmem-observe.so')))('loads a library dlopen() refuses (static TLS) through LD_PRELOAD', async () => {
    const r = await probeBuildInfo(path.join(defaultLibDir, 'libhakmem-observe.so'));
    expect(r.ok && r.info.mode).toBe('observe');
  });
  it('skips libraries that are not hakmem and notes a hakmem library the probe cannot read', async () => {
    const glibcLibc = ['/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libc.so.6'].find((f) => fs.existsSync(f));
    const infos = await hakmemBuildInfos([
      { name: 'glibc', preload: null },
      ...(glibcLibc ? [{ name: 'other', preload: glibcLibc }] : []),
      { name: 'gone', preload: '/nonexistent/libhakmem-fast.so' },
    ]);
    expect(Object.keys(infos)).toEqual(['gone']);
    expect(infos.gone).toMatchObject({ mode: null, configHash: null });
    expect(infos.gone!.note).toMatch(/cannot load/);
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
