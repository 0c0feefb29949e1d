/**
 * Vitest global setup (root vitest.config.ts): a machine without a prerequisite stops the run
 * before any test, with the same one line as `npm run check-prereqs`, instead of failing deep
 * in the suite. HAKMEM_SKIP_PREREQS=1 skips it (e.g. running only the codegen unit tests on a
 * machine without Chromium).
 */
import { checkPrereqs } from './prereqs.ts';

export default function setup(): void {
  if (process.env.HAKMEM_SKIP_PREREQS === '1') return;
  const line = checkPrereqs();
  if (line) {
    // One line and out: a thrown error would print vitest's banner and a stack trace around it.
    process.stderr.write(`${line}\n`);
    process.exit(1);
  }
}
