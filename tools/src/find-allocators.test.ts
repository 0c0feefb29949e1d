import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baselineOf, findPeer, resolveAllocators } from './find-allocators.ts';

function fixtureDirs() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-alloc-'));
  const lib = path.join(root, 'lib');
  const peers = path.join(root, 'peers');
  fs.mkdirSync(lib);
  fs.mkdirSync(peers);
  fs.writeFileSync(path.join(lib, 'libhakmem-fast.so'), '');
  fs.writeFileSync(path.join(peers, 'libjemalloc.so.2'), '');
  return { root, lib, peers };
}

describe('resolveAllocators', () => {
  it('finds what exists and reports what is missing instead of failing', () => {
    const d = fixtureDirs();
    const r = resolveAllocators({ libDir: d.lib, peerDirs: [d.peers] });
    expect(r.allocators.map((a) => a.name)).toEqual(['hakmem-fast', 'glibc', 'jemalloc']);
    expect(r.allocators.find((a) => a.name === 'glibc')!.preload).toBeNull();
    expect(r.missing.map((m) => m.name)).toEqual(['hakmem', 'mimalloc', 'tcmalloc']);
    expect(r.missing.find((m) => m.name === 'mimalloc')!.reason).toContain('apt-get install libmimalloc2.0');
  });
  it('takes a subset, keeps its order, and adds --lib extras', () => {
    const d = fixtureDirs();
    const extra = path.join(d.root, 'libx.so');
    fs.writeFileSync(extra, '');
    const r = resolveAllocators({
      list: 'glibc,hakmem-fast',
      libs: [`x=${extra}`],
      libDir: d.lib,
      peerDirs: [d.peers],
    });
    expect(r.allocators).toEqual([
      { name: 'glibc', preload: null },
      { name: 'hakmem-fast', preload: path.join(d.lib, 'libhakmem-fast.so') },
      { name: 'x', preload: extra },
    ]);
  });
  it('refuses unknown names and bad --lib specs', () => {
    expect(() => resolveAllocators({ list: 'ptmalloc9' })).toThrow(/unknown allocator "ptmalloc9"/);
    expect(() => resolveAllocators({ list: 'glibc', libs: ['nopath'] })).toThrow(/NAME=PATH/);
    expect(() => resolveAllocators({ list: 'glibc', libs: ['y=/does/not/exist.so'] })).toThrow(/does not exist/);
  });
  it('picks mimalloc as the baseline, else glibc', () => {
    expect(
      baselineOf([
        { name: 'glibc', preload: null },
        { name: 'mimalloc', preload: '/m' },
      ]),
    ).toBe('mimalloc');
    expect(
      baselineOf([
        { name: 'hakmem', preload: '/h' },
        { name: 'glibc', preload: null },
      ]),
    ).toBe('glibc');
  });
  it('looks peers up in the given directories', () => {
    const d = fixtureDirs();
    expect(findPeer('jemalloc', [d.peers])).toBe(path.join(d.peers, 'libjemalloc.so.2'));
    expect(findPeer('mimalloc', [d.peers])).toBeNull();
  });
});
