import { describe, expect, it } from 'vitest';
import { coerceValue, deepMerge, nestedConfig, projectConfig, resolveSide, splitSettings } from './knobs.ts';

describe('knob settings', () => {
  it('splits and nests settings', () => {
    expect(splitSettings('unifiedCache.capacity=64, superslab.poolLimit=4')).toEqual([
      ['unifiedCache.capacity', '64'],
      ['superslab.poolLimit', '4'],
    ]);
    expect(() => splitSettings('unifiedCache.capacity')).toThrow(/KNOB.PATH=VALUE/);
    expect(
      nestedConfig([
        ['unifiedCache.capacity', 64],
        ['front.tinyMax', 512],
      ]),
    ).toEqual({
      unifiedCache: { capacity: 64 },
      front: { tinyMax: 512 },
    });
  });
  it('merges a side over the project config', async () => {
    expect(deepMerge({ profile: 'lean', front: { tinyMax: 512 } }, { unifiedCache: { capacity: 64 } })).toEqual({
      profile: 'lean',
      front: { tinyMax: 512 },
      unifiedCache: { capacity: 64 },
    });
    const base = await projectConfig();
    const { config } = await resolveSide('--a', 'front.midClassesPerDoubling=2', base);
    expect(config).toEqual(deepMerge(base, { front: { midClassesPerDoubling: 2 } }));
    await expect(resolveSide('--a', 'unifiedCache.refillBatch=64', { unifiedCache: { capacity: 32 } })).rejects.toThrow(
      /refillBatch/,
    );
  });
  it('coerces values by kind', () => {
    expect(coerceValue({ kind: 'bytes', default: 0, min: 0, max: 1, scope: 'env' }, '64KiB')).toBe(65536);
    expect(coerceValue({ kind: 'bool', default: true, scope: 'env' }, 'false')).toBe(false);
    expect(coerceValue({ kind: 'int', default: 1, min: 0, max: 2, scope: 'env' }, 'x')).toBe('x');
    expect(coerceValue(undefined, '5')).toBe('5');
  });
  it('resolves an env knob to its HAKMEM_* variable', async () => {
    const { settings } = await resolveSide('--a', 'unifiedCache.capacity=64');
    expect(settings).toEqual([
      {
        path: 'unifiedCache.capacity',
        value: 64,
        scope: 'env',
        env: 'HAKMEM_UNIFIED_CACHE_CAPACITY',
        envValue: '64',
      },
    ]);
    const b = await resolveSide('--b', 'unifiedCache.enabled=false');
    expect(b.settings[0]).toMatchObject({ env: 'HAKMEM_UNIFIED_CACHE_ENABLED', envValue: '0' });
  });
  it('resolves a const knob as build-time', async () => {
    const { settings, config } = await resolveSide('--b', 'front.midClassesPerDoubling=2');
    expect(settings[0]!.scope).toBe('const');
    expect(config).toEqual({ front: { midClassesPerDoubling: 2 } });
  });
  it("refuses bad paths, values and ranges with codegen's messages", async () => {
    await expect(resolveSide('--a', 'unifiedCache.capacty=64')).rejects.toThrow(/unknown key unifiedCache\.capacty/);
    await expect(resolveSide('--a', 'unifiedCache.capacity=lots')).rejects.toThrow(/expected an integer/);
    await expect(resolveSide('--a', 'unifiedCache.capacity=0')).rejects.toThrow(/must be in \[1, 65535\]/);
    await expect(resolveSide('--a', 'unifiedCache.capacity=16')).rejects.toThrow(/refillBatch/);
  });
});
