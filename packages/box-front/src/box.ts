import { bytes, counter, defineBox, int, intList, KiB, MiB, powerOfTwo, rule } from '@hakmem/box-kit';
import pkg from '../package.json' with { type: 'json' };

const gate = 'front';

/** The front gate: maps a request size to a size class, and routes large requests to the large box. */
export const front = defineBox({
  name: 'front',
  packageName: pkg.name,
  version: pkg.version,
  configPath: gate,
  cPrefix: 'front',
  envPrefix: 'FRONT_',
  knobs: {
    /** Block sizes of the tiny classes, ascending multiples of 16; the last one is tinyMax. */
    tinyClasses: intList({
      default: [16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024],
      min: 16,
      max: 4096,
    }),
    /** Largest tiny request; tiny classes are looked up by (size + 15) >> 4. A power of two. */
    tinyMax: bytes({ default: 1024, min: 256, max: 4096, scope: 'const' }),
    /** Largest mid request; anything larger is "large" and gets its own mapping. tinyMax times a power of two. */
    midMax: bytes({ default: KiB(256), min: KiB(4), max: MiB(1), scope: 'const' }),
    /** Mid classes per doubling of size above tinyMax (a power of two). */
    midClassesPerDoubling: int({ default: 4, min: 1, max: 8, scope: 'const' }),
  },
  invariants: [
    rule({
      name: 'tinyClasses ascending multiples of 16',
      rule: `${gate}.tinyClasses must be strictly ascending multiples of 16`,
      paths: [`${gate}.tinyClasses`],
      check: (c) => {
        const list = c.list(`${gate}.tinyClasses`);
        for (let i = 0; i < list.length; i++) {
          const v = list[i] ?? 0;
          if (v % 16 !== 0) return `${gate}.tinyClasses[${i}] = ${v} must be a multiple of 16`;
          const prev = list[i - 1];
          if (prev !== undefined && v <= prev) {
            return `${gate}.tinyClasses[${i}] = ${v} must be > ${gate}.tinyClasses[${i - 1}] (${prev}) (strictly ascending)`;
          }
        }
        return undefined;
      },
    }),
    rule({
      name: 'tinyClasses end at tinyMax',
      rule: `the last of ${gate}.tinyClasses must equal ${gate}.tinyMax`,
      paths: [`${gate}.tinyClasses`, `${gate}.tinyMax`],
      check: (c) => {
        const list = c.list(`${gate}.tinyClasses`);
        const last = list[list.length - 1];
        const max = c.num(`${gate}.tinyMax`);
        return last === max
          ? undefined
          : `${gate}.tinyClasses last = ${last ?? 'none'} must equal ${gate}.tinyMax (${max})`;
      },
    }),
    powerOfTwo(`${gate}.tinyMax`),
    powerOfTwo(`${gate}.midClassesPerDoubling`),
    rule({
      name: 'midMax = tinyMax * 2^n, n >= 1',
      rule: `${gate}.midMax must be ${gate}.tinyMax times a power of two, and larger`,
      paths: [`${gate}.midMax`, `${gate}.tinyMax`],
      check: (c) => {
        const mid = c.num(`${gate}.midMax`);
        const tiny = c.num(`${gate}.tinyMax`);
        const r = mid / tiny;
        return Number.isInteger(r) && r >= 2 && (r & (r - 1)) === 0
          ? undefined
          : `${gate}.midMax = ${mid} must be ${gate}.tinyMax (${tiny}) times 2^n with n >= 1`;
      },
    }),
    rule({
      name: 'mid granule >= 16',
      rule: `${gate}.tinyMax / ${gate}.midClassesPerDoubling must be >= 16`,
      paths: [`${gate}.tinyMax`, `${gate}.midClassesPerDoubling`],
      check: (c) => {
        const g = c.num(`${gate}.tinyMax`) / c.num(`${gate}.midClassesPerDoubling`);
        return g >= 16 ? undefined : `${gate}.tinyMax / ${gate}.midClassesPerDoubling = ${g} must be >= 16`;
      },
    }),
  ],
  counters: {
    /** Calls to the aligned allocation entry points. */
    alignedAllocs: counter(),
    /** Frees of pointers hakmem does not own (passed on or ignored). */
    foreignFrees: counter(),
  },
});
