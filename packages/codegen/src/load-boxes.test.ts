import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DeclarationError } from './errors.ts';
import { findDeclarationFiles, loadBoxes } from './load-boxes.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/boxes/${name}`, import.meta.url));

describe('loadBoxes', () => {
  it('loads every box in header order, with a doc for every knob and counter', async () => {
    const decls = await loadBoxes();
    expect(decls.boxes.map((b) => b.box.name)).toEqual([
      'front',
      'unified-cache',
      'large',
      'superslab',
      'remote',
      'env',
    ]);
    expect(decls.boxes.map((b) => b.file)).toContain('packages/box-front/src/box.ts');
    for (const b of decls.boxes) {
      for (const key of Object.keys(b.box.knobs)) expect(b.knobDocs.get(key), `${b.box.name}.${key}`).toMatch(/\w/);
      for (const key of Object.keys(b.box.counters))
        expect(b.counterDocs.get(key), `${b.box.name}.${key}`).toMatch(/\w/);
    }
    expect(decls.profiles.map((p) => p.name)).toEqual(['speed', 'balanced', 'lean', 'hardened']);
    expect(decls.profilesFile).toBe('packages/box-env/src/box.ts');
  });

  it('finds the declaration files of every box package', () => {
    expect(findDeclarationFiles().map((f) => f.split('/').slice(-3).join('/'))).toEqual([
      'box-front/src/box.ts',
      'box-unified-cache/src/box.ts',
      'box-large/src/box.ts',
      'box-superslab/src/box.ts',
      'box-remote/src/box.ts',
      'box-env/src/box.ts',
    ]);
  });

  it('refuses a knob without a doc comment', async () => {
    const files = [...findDeclarationFiles(), fixture('missing-doc.ts')];
    await expect(loadBoxes(files)).rejects.toThrow(DeclarationError);
    await expect(loadBoxes(files)).rejects.toThrow(
      'packages/codegen/fixtures/boxes/missing-doc.ts: knob undocumented.bare has no doc comment; write /** what it does */ above it',
    );
  });

  it('refuses a knob whose constructor in the source disagrees with the loaded kind', async () => {
    await expect(loadBoxes([...findDeclarationFiles(), fixture('wrong-kind.ts')])).rejects.toThrow(
      'knob disguised.flag is built with int() but loads as kind bool',
    );
  });
});
