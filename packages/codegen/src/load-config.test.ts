import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { loadBoxes } from './load-boxes.ts';
import { loadConfig, parseConfig } from './load-config.ts';
import type { Declarations } from './types.ts';

let decls: Declarations;
beforeAll(async () => {
  decls = await loadBoxes();
});

function configProblems(raw: unknown): string[] {
  try {
    parseConfig(raw, decls, 'hakmem.config.ts');
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
}

describe('config shape', () => {
  it('keys values by full knob path', () => {
    const c = parseConfig({ profile: 'lean', unifiedCache: { capacity: 64 } }, decls, 'x');
    expect(c.profile).toBe('lean');
    expect([...c.overrides]).toEqual([['unifiedCache.capacity', 64]]);
  });

  it('rejects an unknown key, naming its path and the known keys there', () => {
    expect(configProblems({ unifiedCache: { capacty: 128 } })).toEqual([
      'hakmem.config.ts: unknown key unifiedCache.capacty (known here: enabled, capacity, refillBatch, midCapacity, midRefillBatch, safeLinking, maxBytesPerClass, maxBytesPerThread, maxBytesTotal, depotBytes)',
    ]);
    expect(configProblems({ frontt: {} })[0]).toMatch(/^hakmem.config.ts: unknown key frontt \(known here: .*front/);
  });

  it('rejects a wrongly typed value, naming the knob and what it expects', () => {
    expect(configProblems({ unifiedCache: { capacity: '128' } })).toEqual([
      'hakmem.config.ts: unifiedCache.capacity: expected an integer, got "128"',
    ]);
    expect(configProblems({ unifiedCache: { enabled: 1 } })).toEqual([
      'hakmem.config.ts: unifiedCache.enabled: expected true or false, got 1',
    ]);
    expect(configProblems({ superslab: { releaseMode: 'sometimes' } })).toEqual([
      "hakmem.config.ts: superslab.releaseMode: expected one of 'unmap', 'decommit', 'never', got \"sometimes\"",
    ]);
    expect(configProblems({ profile: 'turbo' })).toEqual([
      "hakmem.config.ts: profile: expected one of 'speed', 'balanced', 'lean', 'hardened', got \"turbo\"",
    ]);
    expect(configProblems({ superslab: 3 })).toEqual([
      'hakmem.config.ts: superslab: expected an object of knobs, got 3',
    ]);
  });

  it('reports every problem, one line each', () => {
    expect(configProblems({ remote: { drainBatch: 1.5, drainThresold: 1 } })).toHaveLength(2);
  });
});

describe('loadConfig', () => {
  it('imports a config file and reads its default export', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hakmem-config-'));
    const file = path.join(dir, 'hakmem.config.mjs');
    writeFileSync(file, "export default { profile: 'speed', remote: { drainBatch: 64 } };\n");
    const c = await loadConfig(file, decls);
    expect(c.profile).toBe('speed');
    expect(c.overrides.get('remote.drainBatch')).toBe(64);
  });

  it('names a missing file', async () => {
    await expect(loadConfig('/nonexistent/hakmem.config.ts', decls)).rejects.toThrow(
      'config file /nonexistent/hakmem.config.ts does not exist',
    );
  });

  it('without a file, the overrides are empty', async () => {
    expect((await loadConfig(undefined, decls)).overrides.size).toBe(0);
  });
});
