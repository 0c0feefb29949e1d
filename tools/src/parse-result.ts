/** Parsing what the workload programs and hk-run print. */
import type { ChildReport, EpochLine, ResultLine, RunStatus } from './types.ts';

function keyValues(tokens: readonly string[]): Record<string, string> | null {
  const kv: Record<string, string> = {};
  for (const t of tokens) {
    const eq = t.indexOf('=');
    if (eq <= 0) return null;
    kv[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return kv;
}

function finite(s: string | undefined): number | null {
  if (s === undefined || s.trim() === '') return null;
  const x = Number(s);
  return Number.isFinite(x) ? x : null;
}

/**
 * Finds the result line `<name> ops=<n> seconds=<s> mops=<m> [k=v ...]` in a program's stdout
 * (the last one wins). With `name` given, only a line for that workload counts.
 * Returns null when there is none or it is malformed (missing or non-numeric fields).
 */
export function parseResultLine(stdout: string, name?: string): ResultLine | null {
  const lines = stdout.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    const tokens = lines[i]!.split(/\s+/);
    const head = tokens[0]!;
    if (head.includes('=')) continue; // an epoch line or noise
    if (name !== undefined && head !== name) continue;
    const kv = keyValues(tokens.slice(1));
    if (!kv) continue;
    const ops = finite(kv.ops);
    const seconds = finite(kv.seconds);
    const mops = finite(kv.mops);
    if (ops === null || seconds === null || mops === null || ops < 0 || seconds < 0 || mops < 0) continue;
    const { ops: _o, seconds: _s, mops: _m, ...extra } = kv;
    return { name: head, ops, seconds, mops, extra };
  }
  return null;
}

/** Parses the soak epoch lines `epoch=<i> ops=<n> seconds=<s> mops=<m> rss_kb=<k>`; other lines are ignored. */
export function parseEpochLines(stdout: string): EpochLine[] {
  const out: EpochLine[] = [];
  for (const raw of stdout.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line.startsWith('epoch=')) continue;
    const kv = keyValues(line.split(/\s+/));
    if (!kv) continue;
    const epoch = finite(kv.epoch);
    const ops = finite(kv.ops);
    const seconds = finite(kv.seconds);
    const mops = finite(kv.mops);
    const rssKb = finite(kv.rss_kb);
    if (epoch === null || ops === null || seconds === null || mops === null || rssKb === null) continue;
    out.push({ epoch, ops, seconds, mops, rssKb });
  }
  return out;
}

/** Parses hk-run's report line; null when the file was empty or garbled. */
export function parseChildReport(text: string): ChildReport | null {
  const line = text.trim().split(/\r?\n/)[0];
  if (!line) return null;
  const kv = keyValues(line.split(/\s+/));
  if (!kv) return null;
  const how = kv.status;
  if (how !== 'exited' && how !== 'signaled' && how !== 'timeout') return null;
  const nums = ['code', 'signal', 'wall_s', 'maxrss_kb', 'utime_s', 'stime_s'].map((k) => finite(kv[k]));
  if (nums.some((x) => x === null)) return null;
  const [code, signal, wall, rss, ut, st] = nums as number[];
  return { how, code: code!, signal: signal!, wallSeconds: wall!, maxRssKb: rss!, userSeconds: ut!, systemSeconds: st! };
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
  4: 'SIGILL', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM',
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
