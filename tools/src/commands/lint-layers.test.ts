import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLayers, readRules, stripC } from './lint-layers.ts';
import { repoRoot } from '../paths.ts';

/** A copy of native/src in a temporary root, to plant mistakes in. */
function copyTree(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hk-layers-'));
  fs.cpSync(path.join(repoRoot, 'native', 'src'), path.join(root, 'native', 'src'), { recursive: true });
  return root;
}
const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});
function plant(file: string, edit: (text: string) => string): string {
  const root = copyTree();
  roots.push(root);
  const p = path.join(root, 'native', 'src', file);
  fs.writeFileSync(p, edit(fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : ''));
  return root;
}

describe('the layer check (native/src/internal.h states the rule)', () => {
  it('reads the layers in order from internal.h, lowest first', () => {
    const rules = readRules(fs.readFileSync(path.join(repoRoot, 'native/src/internal.h'), 'utf8'));
    expect(rules.layers).toEqual(['core', 'env', 'superslab', 'remote', 'unified_cache', 'large', 'front']);
    expect(rules.owner.get('hk_heap_t')).toBe('remote');
    expect(rules.owner.get('hk_slab_take')).toBe('remote');
    expect(rules.owner.get('hk_unified_cache_refill')).toBe('unified_cache');
  });

  it('the tree as committed passes', () => {
    expect(checkLayers()).toEqual([]);
  });

  it('fails on a planted upward reference: superslab/ naming a heap, the thread block or the unified cache', () => {
    const root = plant(
      'superslab/superslab.c',
      (t) =>
        `${t}\nvoid hk_planted(hk_heap_t *h);\nstatic void planted(void) { hk_tls.heap = 0; hk_unified_cache_refill(0); }\n`,
    );
    const problems = checkLayers(root);
    expect(problems.some((p) => /superslab\.c:\d+: names hk_heap_t, of layer remote, above superslab/.test(p))).toBe(
      true,
    );
    expect(problems.some((p) => /names hk_tls, of layer unified_cache, above superslab/.test(p))).toBe(true);
    expect(problems.some((p) => /names hk_unified_cache_refill, of layer unified_cache/.test(p))).toBe(true);
  });

  it('a struct tag counts as its type, and a box knob accessor belongs to its box layer', () => {
    const root = plant(
      'core/segment_map.c',
      (t) => `${t}\nstatic int planted(struct hk_heap *h) { return (int)hk_remote_push_batch() + (h != 0); }\n`,
    );
    const problems = checkLayers(root).join('\n');
    expect(problems).toMatch(/segment_map\.c:\d+: names hk_heap, of layer remote, above core/);
    expect(problems).toMatch(/names hk_remote_push_batch, of layer remote, above core/);
  });

  it('a named exception in internal.h allows exactly that name', () => {
    const root = plant(
      'superslab/superslab.c',
      (t) => `${t}\nstatic unsigned planted(void) { return (unsigned)hk_remote_push_batch(); }\n`,
    );
    expect(checkLayers(root).join('\n')).toMatch(/names hk_remote_push_batch/);
    const ip = path.join(root, 'native/src/internal.h');
    fs.writeFileSync(
      ip,
      fs
        .readFileSync(ip, 'utf8')
        .replace(' * Naming:', ' * exception: superslab hk_remote_push_batch  a planted one\n *\n * Naming:'),
    );
    expect(checkLayers(root)).toEqual([]);
  });

  it('a function a folder defines for other files must be declared in its own layer section', () => {
    const root = plant(
      'superslab/superslab.c',
      (t) => `${t}\nvoid hk_remote_flush(void) {}\nvoid hk_nowhere(void) {}\n`,
    );
    const problems = checkLayers(root).join('\n');
    expect(problems).toMatch(/superslab\.c:\d+: defines hk_remote_flush, which internal.h declares in layer remote/);
    expect(problems).toMatch(
      /superslab\.c:\d+: defines hk_nowhere for other files, but internal.h declares it nowhere/,
    );
  });

  it('a C file outside a layer folder, or a folder that is no layer, is a problem', () => {
    const root = plant('stray.c', () => 'int x;\n');
    fs.mkdirSync(path.join(root, 'native/src/misc'));
    const problems = checkLayers(root).join('\n');
    expect(problems).toMatch(/native\/src\/stray\.c: a C file outside a layer folder/);
    expect(problems).toMatch(/native\/src\/misc\/: not a layer of internal.h/);
  });

  it('comments and strings are not read', () => {
    expect(stripC('a /* hk_heap_t */ b // hk_tls\n"hk_x" c')).not.toMatch(/hk_/);
  });
});
