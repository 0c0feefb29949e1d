/** results.csv: one row per run, failures included. */
import { stringify } from 'csv-stringify/sync';
import type { RunRecord } from '../types.ts';

export const CSV_COLUMNS = [
  'workload',
  'allocator',
  'round',
  'order',
  'status',
  'exit_code',
  'signal',
  'ops',
  'seconds',
  'mops',
  'wall_s',
  'maxrss_kb',
  'args',
] as const;

export function runsToCsv(runs: readonly RunRecord[]): string {
  const rows = runs.map((r) => [
    r.workload,
    r.allocator,
    r.round,
    r.order,
    r.status,
    r.exitCode ?? '',
    r.signal ?? '',
    r.result?.ops ?? '',
    r.result?.seconds ?? '',
    r.result?.mops ?? '',
    r.wallSeconds ?? '',
    r.maxRssKb ?? '',
    r.argv.slice(1).join(' '),
  ]);
  return stringify(rows, { header: true, columns: [...CSV_COLUMNS] });
}
