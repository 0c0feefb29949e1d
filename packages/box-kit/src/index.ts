export type * from './types.ts';
export { bool, int, bytes, enumOf, intList, KiB, MiB, GiB, DeclarationError } from './knobs.ts';
export {
  rule,
  atMost,
  lessThan,
  atLeast,
  powerOfTwo,
  multipleOf,
  ratioWithin,
  isPowerOfTwo,
  INVARIANT_FORMS,
  fillTemplate,
} from './invariants.ts';
export { KNOB_KINDS, KIND_BY_CTOR, kindOf, humanBytes, type KindInfo } from './kinds.ts';
export { defineBox, isBox, defineProfiles, counter, perClassCounter, ownInvariantProblems } from './define-box.ts';
