/**
 * `npm run check-prereqs` (`hakmem check-prereqs`): exits 1 with one line naming what is missing and how to install it
 * (`npm run setup`), or 0. `npm test` runs it before the build; the vitest global setup
 * (prereqs-global-setup.ts) runs the same check for a bare `npx vitest run`.
 */
import { PREREQS, checkPrereqs } from '../bench/prereqs.ts';

/** Prints the one line (what is missing, or that nothing is) on stderr; the exit status. */
export function runCheckPrereqs(): number {
  const line = checkPrereqs();
  if (line) {
    process.stderr.write(`${line}\n`);
    return 1;
  }
  process.stderr.write(`hakmem: all ${PREREQS.length} prerequisites present\n`);
  return 0;
}
