import { describe, expect, it } from 'vitest';
import { isBox } from '@hakmem/box-kit';
import pkg from '../package.json' with { type: 'json' };
import { envGate } from './box.ts';

describe('box-env declarations', () => {
  for (const box of [envGate]) {
    it(`${box.name} loads with its package's name and version`, () => {
      expect(isBox(box)).toBe(true);
      expect(box.packageName).toBe(pkg.name);
      expect(box.version).toBe(pkg.version);
      expect(Object.keys(box.knobs).length).toBeGreaterThan(0);
    });
  }
});

describe('profiles', () => {
  it('are the values of env.profile, in order', async () => {
    const { profiles } = await import('./box.ts');
    const profile = envGate.knobs.profile;
    expect(Object.keys(profiles)).toEqual([...profile.values]);
  });
});
