import { describe, expect, it } from 'vitest';
import { isBox, type Knob } from '@hakmem/box-kit';
import pkg from '../package.json' with { type: 'json' };
import { remoteQueue } from './box.ts';

function inRange(knob: Knob): boolean {
  if (knob.kind === 'int' || knob.kind === 'bytes') return knob.default >= knob.min && knob.default <= knob.max;
  if (knob.kind === 'intList') return knob.default.every((v) => v >= knob.min && v <= knob.max);
  if (knob.kind === 'enum') return knob.values.includes(knob.default);
  return true;
}

describe('box-remote declarations', () => {
  for (const box of [remoteQueue]) {
    it(`${box.name} loads with its package's name and version`, () => {
      expect(isBox(box)).toBe(true);
      expect(box.packageName).toBe(pkg.name);
      expect(box.version).toBe(pkg.version);
      expect(Object.keys(box.knobs).length).toBeGreaterThan(0);
    });
    it(`${box.name} defaults lie within their declared ranges`, () => {
      for (const [key, knob] of Object.entries(box.knobs)) expect(inRange(knob), key).toBe(true);
    });
  }
});
