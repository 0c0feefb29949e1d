import { describe, expect, it } from 'vitest';
import { isBox } from '@hakmem/box-kit';
import pkg from '../package.json' with { type: 'json' };
import { frontGate, unifiedCache } from './box.ts';

describe('box-front declarations', () => {
  for (const box of [frontGate, unifiedCache]) {
    it(`${box.name} loads with its package's name and version`, () => {
      expect(isBox(box)).toBe(true);
      expect(box.packageName).toBe(pkg.name);
      expect(box.version).toBe(pkg.version);
      expect(Object.keys(box.knobs).length).toBeGreaterThan(0);
    });
  }
});
