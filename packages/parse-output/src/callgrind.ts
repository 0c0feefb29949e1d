/** callgrind's summary on stderr: the instructions counted (`--tool=callgrind`, event Ir). */

/** The total from callgrind's last `==pid== Collected : N` line; null when there is none. */
export function parseCallgrindCollected(stderr: string): number | null {
  const m = [...stderr.matchAll(/==\d+==\s+Collected\s*:\s*(\d+)/g)].pop();
  return m ? Number(m[1]) : null;
}
