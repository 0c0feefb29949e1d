import type { AnyKnobValue, Box, BoxSpec, ConfigView, Knob, ProfileOverrides } from './types.ts';

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

/**
 * A box's own invariants (those that read only its knobs) over its declared defaults, with
 * `overrides` (full knob path -> value) on top: the problem lines, empty when every rule holds.
 * Lets a box package test its declaration without codegen and the other boxes.
 */
export function ownInvariantProblems(box: Box, overrides: Readonly<Record<string, AnyKnobValue>> = {}): string[] {
  const values = new Map<string, AnyKnobValue>(
    Object.entries(box.knobs).map(([k, knob]) => [`${box.configPath}.${k}`, knob.default]),
  );
  for (const [p, v] of Object.entries(overrides)) {
    if (!values.has(p)) throw new Error(`${p} is not a knob of box ${box.name}`);
    values.set(p, v);
  }
  const get = (p: string): AnyKnobValue => {
    const v = values.get(p);
    if (v === undefined) throw new Error(`${p} is not a knob of box ${box.name}`);
    return v;
  };
  const view: ConfigView = { get, num: (p) => get(p) as number, list: (p) => get(p) as readonly number[] };
  return box.invariants.filter((inv) => inv.paths.every((p) => values.has(p))).flatMap((inv) => [...inv.check(view)]);
}
