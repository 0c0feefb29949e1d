/**
 * The lines every workload program prints (native/bench/common.h): the result line
 * `<name> ops=<n> seconds=<s> mops=<m> [k=v ...]` and, in soak mode, epoch lines
 * `epoch=<i> ops=<n> seconds=<s> mops=<m> rss_kb=<k>`.
 */
import { finiteNumber, parseKeyValues } from './key-values.ts';

export interface ResultLine {
  name: string;
  /** Operations done: a whole number. */
  ops: number;
  seconds: number;
  /** Million operations per second. */
  mops: number;
  /** The other `k=v` pairs of the line, e.g. `threads=2`. */
  extra: Record<string, string>;
}

export interface EpochLine {
  epoch: number;
  ops: number;
  seconds: number;
  mops: number;
  rssKb: number;
}

function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** One line as a result line, or null. */
function resultOf(line: string): ResultLine | null {
  const tokens = line.split(/\s+/);
  const name = tokens[0]!;
  if (name.includes('=')) return null; // an epoch line or k=v noise
  const kv = parseKeyValues(tokens.slice(1));
  if (!kv) return null;
  const ops = finiteNumber(kv.ops);
  const seconds = finiteNumber(kv.seconds);
  const mops = finiteNumber(kv.mops);
  if (ops === null || seconds === null || mops === null) return null;
  if (!Number.isInteger(ops) || ops < 0 || seconds < 0 || mops < 0) return null;
  const { ops: _o, seconds: _s, mops: _m, ...extra } = kv;
  return { name, ops, seconds, mops, extra };
}

/**
 * The result line in a program's stdout: the last well-formed one, or with `name` the last
 * well-formed one for that workload. Null when there is none.
 */
export function parseResultLine(stdout: string, name?: string): ResultLine | null {
  const all = lines(stdout);
  for (let i = all.length - 1; i >= 0; i--) {
    const r = resultOf(all[i]!);
    if (r && (name === undefined || r.name === name)) return r;
  }
  return null;
}

/** parseResultLine for `name`, throwing an error that quotes the line or the output when there is none. */
export function readResultLine(stdout: string, name: string): ResultLine {
  const r = parseResultLine(stdout, name);
  if (r) return r;
  const candidate = lines(stdout)
    .filter((l) => l.startsWith(`${name} `))
    .pop();
  throw new Error(
    candidate ? `malformed result line: '${candidate}'` : `no result line starting with '${name} ' in:\n${stdout}`,
  );
}

/** The epoch lines of a soak run, in order; malformed ones and other lines are skipped. */
export function parseEpochLines(stdout: string): EpochLine[] {
  const out: EpochLine[] = [];
  for (const line of lines(stdout)) {
    if (!line.startsWith('epoch=')) continue;
    const kv = parseKeyValues(line.split(/\s+/));
    if (!kv) continue;
    const [epoch, ops, seconds, mops, rssKb] = [kv.epoch, kv.ops, kv.seconds, kv.mops, kv.rss_kb].map(finiteNumber);
    if (epoch == null || ops == null || seconds == null || mops == null || rssKb == null) continue;
    out.push({ epoch, ops, seconds, mops, rssKb });
  }
  return out;
}
