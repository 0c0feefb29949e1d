import type { Box, BoxSpec, Knob, ProfileOverrides } from './types.ts';

/** Declares a box. The result is what codegen loads; its source is what codegen reads docs from. */
export function defineBox<const K extends Record<string, Knob>>(spec: BoxSpec<K>): Box<K> {
  return {
    ...spec,
    kind: 'hakmem-box',
    invariants: spec.invariants ?? [],
    counters: spec.counters ?? {},
  };
}

export function isBox(value: unknown): value is Box {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'hakmem-box';
}

/** Named sets of overrides (keyed by full knob path) selectable at build time and, in Standard, at run time. */
export function defineProfiles<const P extends Record<string, ProfileOverrides>>(profiles: P): P {
  return profiles;
}

/** A plain counter. Its doc is the JSDoc comment on the property. */
export function counter(): { perClass: false } {
  return { perClass: false };
}

/** A counter with one slot per size class (HK_CLASS_COUNT). */
export function perClassCounter(): { perClass: true } {
  return { perClass: true };
}
