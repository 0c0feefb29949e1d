/** Parsing what hk-run reports about a child, and naming how a run ended. The workload
 * programs' own lines (result, epoch) are parsed by @hakmem/parse-output. */
import { finiteNumber, parseKeyValues } from '@hakmem/parse-output';
import type { ChildReport, ResultLine, RunStatus } from '../types.ts';

/** Parses hk-run's report line; null when the file was empty or garbled. */
export function parseChildReport(text: string): ChildReport | null {
  const line = text.trim().split(/\r?\n/)[0];
  if (!line) return null;
  const kv = parseKeyValues(line.split(/\s+/));
  if (!kv) return null;
  const how = kv.status;
  if (how !== 'exited' && how !== 'signaled' && how !== 'timeout') return null;
  const nums = ['code', 'signal', 'wall_s', 'maxrss_kb', 'utime_s', 'stime_s'].map((k) => finiteNumber(kv[k]));
  if (nums.some((x) => x === null)) return null;
  const [code, signal, wall, rss, ut, st] = nums as number[];
  return {
    how,
    code: code!,
    signal: signal!,
    wallSeconds: wall!,
    maxRssKb: rss!,
    userSeconds: ut!,
    systemSeconds: st!,
  };
}

/** How a run ended, from the child report and whether a result line was found. */
export function classifyRun(report: ChildReport | null, result: ResultLine | null): RunStatus {
  if (!report) return 'failed';
  if (report.how === 'timeout') return 'timeout';
  if (report.how === 'signaled') return 'crashed';
  if (report.code !== 0) return 'failed';
  return result ? 'ok' : 'malformed';
}

const SIGNAL_NAMES: Record<number, string> = {
  4: 'SIGILL',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  13: 'SIGPIPE',
  15: 'SIGTERM',
};

/** A short human label for a run that was not ok, e.g. "crashed (SIGSEGV)". */
export function describeFailure(status: RunStatus, exitCode: number | null, signal: number | null): string {
  switch (status) {
    case 'crashed':
      return `crashed (${SIGNAL_NAMES[signal ?? 0] ?? `signal ${signal}`})`;
    case 'failed':
      return `failed (exit ${exitCode ?? '?'})`;
    case 'timeout':
      return 'timeout';
    case 'malformed':
      return 'no result line';
    default:
      return 'ok';
  }
}
