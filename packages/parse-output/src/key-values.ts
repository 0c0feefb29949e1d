/** `k=v` tokens into a record; null when a token is not `k=v` (an empty key included). */
export function parseKeyValues(tokens: readonly string[]): Record<string, string> | null {
  const kv: Record<string, string> = {};
  for (const t of tokens) {
    const eq = t.indexOf('=');
    if (eq <= 0) return null;
    kv[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return kv;
}

/** A finite number, or null (undefined, empty, NaN, Infinity, not a number). */
export function finiteNumber(s: string | undefined): number | null {
  if (s === undefined || s.trim() === '') return null;
  const x = Number(s);
  return Number.isFinite(x) ? x : null;
}
