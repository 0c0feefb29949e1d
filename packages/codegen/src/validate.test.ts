import { beforeAll, describe, expect, it } from 'vitest';
import { atLeast, atMost, defineBox, int, rule } from '@hakmem/box-kit';
import { DeclarationError, ValidationError } from './errors.ts';
import { loadBoxes } from './load-boxes.ts';
import { parseConfig } from './load-config.ts';
import type { Declarations } from './types.ts';
import { validate, validateDeclarations } from './validate.ts';

let decls: Declarations;
beforeAll(async () => {
  decls = await loadBoxes();
});

/** The problem lines codegen reports for a config object (empty when it is valid). */
function problems(config: unknown): string[] {
  try {
    validate(decls, parseConfig(config, decls, 'test.config.ts'));
    return [];
  } catch (err) {
    if (err instanceof ValidationError) return [...err.problems];
    throw err;
  }
}

const tiny = [16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024];

/** For every declared invariant: a config that breaks it and the line that must be reported. */
const cases: { invariant: string; config: object; line: string }[] = [
  {
    invariant: 'tinyClasses ascending multiples of 16',
    config: { front: { tinyClasses: [16, 48, 32, ...tiny.slice(3)] } },
    line: 'front.tinyClasses[2] = 32 must be > front.tinyClasses[1] (48) (strictly ascending)',
  },
  {
    invariant: 'tinyClasses ascending multiples of 16',
    config: { front: { tinyClasses: [16, 40, ...tiny.slice(2)] } },
    line: 'front.tinyClasses[1] = 40 must be a multiple of 16',
  },
  {
    invariant: 'tinyClasses end at tinyMax',
    config: { front: { tinyClasses: tiny.slice(0, 16) } },
    line: 'front.tinyClasses last = 512 must equal front.tinyMax (1024)',
  },
  {
    invariant: 'front.tinyMax power of two',
    config: { front: { tinyMax: 768, tinyClasses: tiny.slice(0, 18) } },
    line: 'front.tinyMax = 768 must be a power of two',
  },
  {
    invariant: 'front.midClassesPerDoubling power of two',
    config: { front: { midClassesPerDoubling: 3 } },
    line: 'front.midClassesPerDoubling = 3 must be a power of two',
  },
  {
    invariant: 'midMax = tinyMax * 2^n, n >= 1',
    config: { front: { midMax: 12288 } },
    line: 'front.midMax = 12288 must be front.tinyMax (1024) times 2^n with n >= 1',
  },
  {
    invariant: 'mid granule >= 16',
    config: { front: { tinyMax: 256, tinyClasses: tiny.slice(0, 12), midClassesPerDoubling: 32 } },
    line: 'front.tinyMax / front.midClassesPerDoubling = 8 must be >= 16',
  },
  {
    invariant: 'unifiedCache.refillBatch <= unifiedCache.capacity',
    config: { unifiedCache: { capacity: 128, refillBatch: 256 } },
    line: 'unifiedCache.refillBatch = 256 must be <= unifiedCache.capacity (128)',
  },
  {
    invariant: 'unifiedCache.midRefillBatch <= unifiedCache.midCapacity',
    config: { unifiedCache: { midCapacity: 8, midRefillBatch: 9 } },
    line: 'unifiedCache.midRefillBatch = 9 must be <= unifiedCache.midCapacity (8)',
  },
  {
    invariant: 'superslab.size power of two',
    config: { superslab: { size: 3 * 1048576 } },
    line: 'superslab.size = 3145728 must be a power of two',
  },
  {
    invariant: 'superslab.slabSize power of two',
    config: { superslab: { slabSize: 49152 } },
    line: 'superslab.slabSize = 49152 must be a power of two',
  },
  {
    invariant: 'superslab.size multiple of superslab.slabSize',
    config: { superslab: { slabSize: 49152 } },
    line: 'superslab.size = 2097152 must be a multiple of superslab.slabSize (49152)',
  },
  {
    invariant: 'superslab.size / superslab.slabSize in [4, 64]',
    config: { superslab: { size: 4194304, slabSize: 16384 } },
    line: 'superslab.size / superslab.slabSize = 4194304 / 16384 must be in [4, 64]',
  },
  {
    invariant: 'superslab.size >= 4 * front.midMax',
    config: { front: { midMax: 1048576 } },
    line: 'superslab.size = 2097152 must be >= 4 * front.midMax (4194304)',
  },
  {
    invariant: 'superslab.releaseThreshold < superslab.poolLimit',
    config: { superslab: { poolLimit: 4, releaseThreshold: 4 } },
    line: 'superslab.releaseThreshold = 4 must be < superslab.poolLimit (4)',
  },
];

describe('invariants', () => {
  it('the declared defaults and every profile satisfy all of them', () => {
    expect(problems({})).toEqual([]);
    for (const profile of ['speed', 'balanced', 'lean']) expect(problems({ profile })).toEqual([]);
  });

  it('every declared invariant has a crafted bad config below', () => {
    const declared = decls.boxes.flatMap((b) => b.box.invariants.map((i) => i.name));
    expect(new Set(cases.map((c) => c.invariant))).toEqual(new Set(declared));
  });

  for (const c of cases) {
    it(`${c.invariant} rejects ${JSON.stringify(c.config).slice(0, 80)}`, () => {
      expect(problems(c.config)).toContain(c.line);
    });
  }

  it('reports the exact line for refillBatch 256 > capacity 128 and nothing else', () => {
    expect(problems({ unifiedCache: { capacity: 128, refillBatch: 256 } })).toEqual([
      'unifiedCache.refillBatch = 256 must be <= unifiedCache.capacity (128)',
    ]);
  });

  it('checks the other profiles merged with the config, prefixed with the profile', () => {
    // balanced: 100 <= 128; speed: capacity 256; lean: capacity 32.
    expect(problems({ unifiedCache: { refillBatch: 100 } })).toEqual([
      'profile lean: unifiedCache.refillBatch = 100 must be <= unifiedCache.capacity (32)',
    ]);
  });

  it('reports ranges with the allowed interval', () => {
    expect(problems({ unifiedCache: { capacity: 70000 } })).toContain(
      'unifiedCache.capacity = 70000 must be in [1, 65535]',
    );
  });
});

describe('declarations', () => {
  it('refuse an environment name used twice', () => {
    const clash = defineBox({
      name: 'clash',
      packageName: '@hakmem/box-clash',
      version: '0.1.0',
      configPath: 'clash',
      cPrefix: 'clash',
      envPrefix: 'CLASH_',
      knobs: { capacity: int({ default: 1, min: 0, max: 2, scope: 'env', env: 'HAKMEM_UNIFIED_CACHE_CAPACITY' }) },
    });
    const withClash: Declarations = {
      ...decls,
      boxes: [...decls.boxes, { ...decls.boxes[0]!, box: clash, file: 'packages/box-clash/src/box.ts' }],
    };
    expect(() => validateDeclarations(withClash)).toThrow(DeclarationError);
    expect(() => validateDeclarations(withClash)).toThrow(
      'packages/box-clash/src/box.ts: environment name HAKMEM_UNIFIED_CACHE_CAPACITY of clash.capacity is also used by unifiedCache.capacity; every environment name must be unique',
    );
  });

  it('refuse a profile that sets an unknown knob', () => {
    const bad: Declarations = {
      ...decls,
      profiles: decls.profiles.map((p) => (p.name === 'lean' ? { ...p, overrides: { 'unifiedCache.capacty': 1 } } : p)),
    };
    expect(() => validateDeclarations(bad)).toThrow('profile lean: unknown knob unifiedCache.capacty');
  });

  /** The declarations plus one test box (knobs: a, b run-time; c build-time; d diagnostic). */
  const withBox = (
    invariants: Parameters<typeof defineBox>[0]['invariants'],
    dScope: 'env' | 'const' = 'env',
  ): Declarations => {
    const box = defineBox({
      name: 'probe',
      packageName: '@hakmem/box-probe',
      version: '0.1.0',
      configPath: 'probe',
      cPrefix: 'probe',
      envPrefix: 'PROBE_',
      knobs: {
        a: int({ default: 1, min: 1, max: 9, scope: 'env' }),
        b: int({ default: 2, min: 0, max: 9, scope: 'env' }),
        c: int({ default: 3, min: 0, max: 9, scope: 'const' }),
        d: int({ default: 0, min: 0, max: 2, scope: dScope, diagnostic: true }),
      },
      invariants,
    });
    return { ...decls, boxes: [...decls.boxes, { ...decls.boxes[0]!, box, file: 'packages/box-probe/src/box.ts' }] };
  };
  const problemsOf = (d: Declarations): string[] => {
    try {
      validateDeclarations(d);
      return [];
    } catch (err) {
      if (err instanceof DeclarationError) return [...err.problems];
      throw err;
    }
  };

  it('refuse a free-form rule over a run-time knob, which Standard could not check at run time', () => {
    const free = rule({
      name: 'a odd',
      rule: 'probe.a must be odd',
      paths: ['probe.a', 'probe.c'],
      check: () => undefined,
    });
    expect(problemsOf(withBox([free]))).toEqual([
      'packages/box-probe/src/box.ts: invariant "a odd" is a free-form rule() over the run-time knob probe.a, which Standard cannot check at run time; write it with atMost, lessThan, atLeast, powerOfTwo, multipleOf or ratioWithin, or make the knobs build-time (scope \'const\')',
    ]);
    const constOnly = rule({ name: 'c odd', rule: 'probe.c must be odd', paths: ['probe.c'], check: () => undefined });
    expect(problemsOf(withBox([constOnly, atMost('probe.b', 'probe.c')]))).toEqual([]);
  });

  it('refuse an invariant that repeats a range, or reads a diagnostic knob; a diagnostic knob must be run-time', () => {
    expect(problemsOf(withBox([atLeast('probe.a', 1)]))).toEqual([
      'packages/box-probe/src/box.ts: invariant "probe.a >= 1" repeats the range of probe.a (min 1); remove it',
    ]);
    expect(problemsOf(withBox([atLeast('probe.a', 2)]))).toEqual([]);
    expect(problemsOf(withBox([atMost('probe.d', 'probe.a')]))).toEqual([
      'packages/box-probe/src/box.ts: invariant "probe.d <= probe.a" reads probe.d, a diagnostic knob, which never takes part in an invariant',
    ]);
    expect(problemsOf(withBox([], 'const'))).toEqual([
      "packages/box-probe/src/box.ts: probe.d: only a run-time knob (scope 'env') can be diagnostic",
    ]);
  });

  it('the real declarations pass', () => {
    expect(() => validateDeclarations(decls)).not.toThrow();
  });
});
