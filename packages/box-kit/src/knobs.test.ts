import { describe, expect, it } from 'vitest';
import { bool, bytes, DeclarationError, enumOf, int, intList, KiB, MiB, GiB } from './knobs.ts';

describe('knob constructors', () => {
  it('build each kind with its scope', () => {
    expect(bool({ default: true, scope: 'env' })).toEqual({ kind: 'bool', default: true, scope: 'env' });
    expect(int({ default: 4, min: 1, max: 8, scope: 'const' })).toMatchObject({ kind: 'int', min: 1, max: 8 });
    expect(bytes({ default: MiB(2), min: MiB(1), max: MiB(4), scope: 'const' }).default).toBe(2097152);
    expect(enumOf(['a', 'b'], { default: 'b', scope: 'env', env: 'HAKMEM_X' })).toMatchObject({
      kind: 'enum',
      values: ['a', 'b'],
      env: 'HAKMEM_X',
    });
    expect(intList({ default: [16, 32], min: 16, max: 64 })).toMatchObject({ kind: 'intList', scope: 'const' });
  });

  it('refuse an inverted range and duplicate enum values', () => {
    expect(() => int({ default: 1, min: 5, max: 1, scope: 'env' })).toThrow(DeclarationError);
    expect(() => enumOf(['a', 'a'], { default: 'a', scope: 'env' })).toThrow(/distinct/);
  });

  it('refuse a default outside the declared range or values', () => {
    expect(() => int({ default: 9, min: 1, max: 8, scope: 'env' })).toThrow(
      'int knob: default 9 must be an integer in [1, 8]',
    );
    expect(() => bytes({ default: KiB(1), min: KiB(4), max: MiB(1), scope: 'env' })).toThrow(/default 1024/);
    expect(() => intList({ default: [16, 128], min: 16, max: 64 })).toThrow(/default 128/);
    expect(() => enumOf(['a', 'b'], { default: 'c' as 'a', scope: 'env' })).toThrow(
      'enum knob: default c must be one of a, b',
    );
  });

  it('spell byte units', () => {
    expect([KiB(1), MiB(1), GiB(1)]).toEqual([1024, 1048576, 1073741824]);
  });
});
