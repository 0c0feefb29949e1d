/** The size-class tables codegen derives from the front knobs. */
export interface SizeClasses {
  tinyCount: number;
  sizes: number[];
  /** [(size + 15) >> 4] -> class, for size <= tinyMax. */
  tinyIndex: number[];
  granuleShift: number;
  /** [(size - 1) >> granuleShift] -> smallest class >= (i + 1) << granuleShift, for size <= midMax. */
  midIndex: number[];
}

/**
 * Tiny classes as declared; mid classes tinyMax * 2^d * (k + j) / k for j = 1..k, d = 0, 1, ...
 * until midMax (k = midClassesPerDoubling). Assumes the front invariants hold.
 */
export function sizeClasses(tiny: readonly number[], tinyMax: number, midMax: number, k: number): SizeClasses {
  const sizes = [...tiny];
  for (let base = tinyMax; base < midMax; base *= 2) {
    for (let j = 1; j <= k; j++) sizes.push((base * (k + j)) / k);
  }
  const smallestAtLeast = (n: number): number => {
    const i = sizes.findIndex((s) => s >= n);
    return i < 0 ? sizes.length - 1 : i;
  };
  const tinyIndex = Array.from({ length: (tinyMax >> 4) + 1 }, (_, i) => smallestAtLeast(i * 16));
  const granuleShift = Math.log2(tinyMax / k);
  const midIndex = Array.from({ length: midMax >> granuleShift }, (_, i) => smallestAtLeast((i + 1) << granuleShift));
  return { tinyCount: tiny.length, sizes, tinyIndex, granuleShift, midIndex };
}
