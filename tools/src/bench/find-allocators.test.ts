import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baselineOf, findPeer, llvmRuntimeDirs, PEERS, resolveAllocators, skippedPairs } from './find-allocators.ts';

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
    expect(r.missing.map((m) => m.name)).toEqual(['hakmem', 'mimalloc', 'tcmalloc', 'scudo']);
    expect(r.missing.find((m) => m.name === 'scudo')!.reason).toMatch(
      /libclang_rt\.scudo_standalone-\w+\.so not installed \(npm run peers, or apt-get install libclang-rt-14-dev\)/,
    );
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
  it("finds Scudo in LLVM's runtime directory, the newest LLVM first", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-llvm-'));
    for (const v of ['llvm-9/lib/clang/9.0.1', 'llvm-14/lib/clang/14.0.6', 'llvm-11/lib/clang/11.1.0'])
      fs.mkdirSync(path.join(root, v, 'lib', 'linux'), { recursive: true });
    fs.mkdirSync(path.join(root, 'llvm-14-extra'));
    expect(llvmRuntimeDirs(root)).toEqual([
      path.join(root, 'llvm-14/lib/clang/14.0.6/lib/linux'),
      path.join(root, 'llvm-11/lib/clang/11.1.0/lib/linux'),
      path.join(root, 'llvm-9/lib/clang/9.0.1/lib/linux'),
    ]);
    const dir = llvmRuntimeDirs(root)[1]!;
    fs.writeFileSync(path.join(dir, PEERS.scudo!.file), '');
    expect(findPeer('scudo', llvmRuntimeDirs(root))).toBe(path.join(dir, PEERS.scudo!.file));
  });
  it('finds the Scudo that npm run setup installs (libclang-rt-14-dev)', () => {
    expect(findPeer('scudo')).toMatch(
      /^\/usr\/lib\/llvm-\d+\/lib\/clang\/[\d.]+\/lib\/linux\/libclang_rt\.scudo_standalone-/,
    );
  });
  it('names the workloads a peer is not run on, with the reason', () => {
    const scudo = { name: 'scudo', preload: '/s.so' };
    const fast = { name: 'hakmem-fast', preload: '/f.so' };
    const skipped = skippedPairs(['random_mixed', 'realloc_grow', 'realloc_grow:count=1'], [fast, scudo]);
    expect(skipped.map((s) => `${s.workload} ${s.allocator}`)).toEqual([
      'realloc_grow scudo',
      'realloc_grow:count=1 scudo',
    ]);
    expect(skipped[0]!.reason).toMatch(/square of max/);
  });
  it('looks peers up in the given directories', () => {
    const d = fixtureDirs();
    expect(findPeer('jemalloc', [d.peers])).toBe(path.join(d.peers, 'libjemalloc.so.2'));
    expect(findPeer('mimalloc', [d.peers])).toBeNull();
  });
});
