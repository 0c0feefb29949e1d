import { describe, expect, it } from 'vitest';
import { coerceValue, deepMerge, nestedConfig, projectConfig, resolveSide, splitSettings } from './knobs.ts';

describe('knob settings', () => {
  it('splits and nests settings', () => {
    expect(splitSettings('front.unifiedCache.capacity=64, superslab.poolLimit=4')).toEqual([
      ['front.unifiedCache.capacity', '64'],
      ['superslab.poolLimit', '4'],
    ]);
    expect(() => splitSettings('front.unifiedCache.capacity')).toThrow(/KNOB.PATH=VALUE/);
    expect(
      nestedConfig([
        ['front.unifiedCache.capacity', 64],
        ['front.gate.tinyMax', 512],
      ]),
    ).toEqual({
      front: { unifiedCache: { capacity: 64 }, gate: { tinyMax: 512 } },
    });
  });
  it('merges a side over the project config', async () => {
    expect(
      deepMerge({ profile: 'lean', front: { gate: { tinyMax: 512 } } }, { front: { unifiedCache: { capacity: 64 } } }),
    ).toEqual({
      profile: 'lean',
      front: { gate: { tinyMax: 512 }, unifiedCache: { capacity: 64 } },
    });
    const base = await projectConfig();
    const { config } = await resolveSide('--a', 'front.gate.midClassesPerDoubling=2', base);
    expect(config).toEqual(deepMerge(base, { front: { gate: { midClassesPerDoubling: 2 } } }));
    await expect(
      resolveSide('--a', 'front.unifiedCache.refillBatch=64', { front: { unifiedCache: { capacity: 32 } } }),
    ).rejects.toThrow(/refillBatch/);
  });
  it('coerces values by kind', () => {
    expect(coerceValue({ kind: 'bytes', default: 0, min: 0, max: 1, scope: 'env' }, '64KiB')).toBe(65536);
    expect(coerceValue({ kind: 'bool', default: true, scope: 'env' }, 'false')).toBe(false);
    expect(coerceValue({ kind: 'int', default: 1, min: 0, max: 2, scope: 'env' }, 'x')).toBe('x');
    expect(coerceValue(undefined, '5')).toBe('5');
  });
  it('resolves an env knob to its HAKMEM_* variable', async () => {
    const { settings } = await resolveSide('--a', 'front.unifiedCache.capacity=64');
    expect(settings).toEqual([
      {
        path: 'front.unifiedCache.capacity',
        value: 64,
        scope: 'env',
        env: 'HAKMEM_UNIFIED_CACHE_CAPACITY',
        envValue: '64',
      },
    ]);
    const b = await resolveSide('--b', 'front.unifiedCache.enabled=false');
    expect(b.settings[0]).toMatchObject({ env: 'HAKMEM_UNIFIED_CACHE_ENABLED', envValue: '0' });
  });
  it('resolves a const knob as build-time', async () => {
    const { settings, config } = await resolveSide('--b', 'front.gate.midClassesPerDoubling=2');
    expect(settings[0]!.scope).toBe('const');
    expect(config).toEqual({ front: { gate: { midClassesPerDoubling: 2 } } });
  });
  it("refuses bad paths, values and ranges with codegen's messages", async () => {
    await expect(resolveSide('--a', 'front.unifiedCache.capacty=64')).rejects.toThrow(
      /unknown key front\.unifiedCache\.capacty/,
    );
    await expect(resolveSide('--a', 'front.unifiedCache.capacity=lots')).rejects.toThrow(/expected an integer/);
    await expect(resolveSide('--a', 'front.unifiedCache.capacity=0')).rejects.toThrow(/must be in \[1, 65535\]/);
    await expect(resolveSide('--a', 'front.unifiedCache.capacity=16')).rejects.toThrow(/refillBatch/);
  });
});
