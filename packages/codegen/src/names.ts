import type { Box, Knob } from '@hakmem/box-kit';

/** camelCase -> snake_case (`refillBatch` -> `refill_batch`). */
export function snake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s]+/g, '_')
    .toLowerCase();
}

/** camelCase -> UPPER_SNAKE. */
export const upperSnake = (name: string): string => snake(name).toUpperCase();

/** The environment variable of a knob: its explicit `env`, else HAKMEM_<envPrefix><KNOB>. */
export function envName(box: Box, key: string, knob: Knob): string {
  return knob.env ?? `HAKMEM_${box.envPrefix}${upperSnake(key)}`;
}

/** The short package name used in version strings: `@hakmem/box-front` -> `box-front`. */
export const shortPackage = (packageName: string): string => packageName.replace(/^@[^/]+\//, '');
