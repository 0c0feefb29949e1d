import { describe, expect, it } from 'vitest';
import { env, profiles } from './box.ts';

describe('box-env declarations', () => {
  it('the profiles are the values of env.profile, in order', () => {
    expect(Object.keys(profiles)).toEqual([...env.knobs.profile.values]);
  });

  it('only verbosity and statistics are diagnostic: every other knob counts in the configuration hash', () => {
    const diagnostic = Object.entries(env.knobs)
      .filter(([, k]) => k.diagnostic)
      .map(([name]) => name);
    expect(diagnostic).toEqual(['verbose', 'stats']);
  });
});
