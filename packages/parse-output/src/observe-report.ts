/**
 * The OBSERVE build's counter report (native/src/env/stats.c) as HAKMEM_STATS=json prints it: one
 * line on stderr starting with `{"hakmem_stats":`, holding one object per size class in use,
 * the totals, and each box's other counters.
 */
export interface ObserveReport {
  hakmem_stats: number;
  mode: string;
  profile: string;
  config: string;
  /** One entry per size class in use: its index, its block size, each per-class counter and the hit rate. */
  classes: ({ class: number; size: number; hit_rate?: number | null } & Record<string, number | null>)[];
  /** The per-class counters summed, and the hit rate over them. */
  totals: Record<string, number | null>;
  /** Each box's other counters: box name -> counter -> value. */
  boxes: Record<string, Record<string, number>>;
}

/**
 * The report of HAKMEM_STATS=json: the last stderr line that starts with `{"hakmem_stats":`.
 * Null when there is none, or it is not JSON of the expected shape.
 */
export function parseObserveReport(stderr: string): ObserveReport | null {
  const line = stderr
    .split(/\r?\n/)
    .filter((l) => l.startsWith('{"hakmem_stats":'))
    .pop();
  if (!line) return null;
  let j: unknown;
  try {
    j = JSON.parse(line);
  } catch {
    return null;
  }
  const r = j as Partial<ObserveReport>;
  const isObject = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (typeof r.hakmem_stats !== 'number' || !Array.isArray(r.classes) || !isObject(r.totals) || !isObject(r.boxes))
    return null;
  return r as ObserveReport;
}
