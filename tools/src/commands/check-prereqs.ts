/**
 * `npm run check-prereqs`: exits 1 with one line naming what is missing and how to install it
 * (`npm run setup`), or 0. `npm test` runs it before the build; the vitest global setup
 * (prereqs-global-setup.ts) runs the same check for a bare `npx vitest run`.
 */
import { PREREQS, checkPrereqs } from '../bench/prereqs.ts';

const line = checkPrereqs();
if (line) {
  process.stderr.write(`${line}\n`);
  process.exitCode = 1;
} else {
  process.stderr.write(`hakmem: all ${PREREQS.length} prerequisites present\n`);
}
