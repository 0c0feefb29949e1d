export type * from './types.ts';
export { bool, int, bytes, enumOf, intList, KiB, MiB, GiB, DeclarationError } from './knobs.ts';
export { rule, atMost, lessThan, atLeast, powerOfTwo, multipleOf, ratioWithin, isPowerOfTwo } from './invariants.ts';
export { defineBox, isBox, defineProfiles, counter, perClassCounter } from './define-box.ts';
