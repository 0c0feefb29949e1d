/**
 * Reads a bench results.json (a file, or a results directory holding one) for `hakmem table`
 * and `hakmem compare`: hakmem-bench/3 as written; hakmem-bench/2 and /1 upgraded by
 * summarising their runs again (the runs carry everything the intervals and verdicts need, and
 * the verdicts of older files were among all allocators, not hakmem against the peers).
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  assertBenchResults,
  assertBenchResultsV1,
  assertBenchResultsV2,
  benchSchemaVersion,
  type BenchResultsV1,
  type BenchResultsV2,
} from './results-schema.ts';
import { hakmemBuildsOf, summarize } from './summarize.ts';
import { BENCH_SCHEMA, type BenchResults } from '../types.ts';
import { isThreadedWorkload } from '../bench/plan-rounds.ts';

/**
 * The parsed JSON of `file` (or of `name` inside it when it is a directory) when its `schema` is
 * `schema`, with the path read; null when there is no such file, it is not JSON, or it is another
 * kind of results file (hakmem table and hakmem figures try each kind in turn).
 */
export function readJsonOfSchema(file: string, name: string, schema: string): { data: unknown; path: string } | null {
  const p = fs.existsSync(file) && fs.statSync(file).isDirectory() ? path.join(file, name) : file;
  if (!fs.existsSync(p)) return null;
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(p, 'utf8'));
  } catch {
    return null;
  }
  return (data as { schema?: unknown } | null)?.schema === schema ? { data, path: p } : null;
}

/** A results file that cannot be used; `exitCode` 2 when the path is wrong, 1 when the content is. */
export class ResultsFileError extends Error {
  override name = 'ResultsFileError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/** A hakmem-bench/1 document as /3: every workload at the file's one round count, the summary recomputed from the runs. */
export function upgradeV1(v1: BenchResultsV1): BenchResults {
  const rounds = v1.config.rounds;
  const workloads = v1.config.workloads.map((w) => ({ ...w, rounds, threaded: isThreadedWorkload(w.name) }));
  return upgradeV2({ ...v1, schema: 'hakmem-bench/2', config: { ...v1.config, mtRounds: rounds, workloads } });
}

/** A hakmem-bench/2 document as /3: the summary and the verdicts recomputed from the runs. */
export function upgradeV2(v2: BenchResultsV2): BenchResults {
  const { rows, verdicts } = summarize(
    v2.runs,
    v2.config.workloads.map((w) => w.name),
    v2.config.allocators.map((a) => a.name),
    Object.fromEntries(v2.config.workloads.map((w) => [w.name, w.rounds])),
    hakmemBuildsOf(v2.context),
  );
  return { ...v2, schema: BENCH_SCHEMA, summary: rows, verdicts };
}

/** Parses and checks a results document; throws ResultsFileError (exit 1) naming what is wrong. */
export function parseBenchResults(text: string, source: string): { results: BenchResults; upgradedFrom: 1 | 2 | null } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ResultsFileError(`${source} is not JSON: ${(e as Error).message}`, 1);
  }
  const version = benchSchemaVersion(data);
  try {
    if (version === 3) {
      assertBenchResults(data);
      return { results: data, upgradedFrom: null };
    }
    if (version === 2) {
      assertBenchResultsV2(data);
      return { results: upgradeV2(data), upgradedFrom: 2 };
    }
    if (version === 1) {
      assertBenchResultsV1(data);
      return { results: upgradeV1(data), upgradedFrom: 1 };
    }
  } catch (e) {
    throw new ResultsFileError(`${source}: ${(e as Error).message}`, 1);
  }
  const kind = data && typeof data === 'object' ? (data as { schema?: unknown }).schema : undefined;
  throw new ResultsFileError(
    `${source} is not a hakmem bench results file (schema ${kind === undefined ? 'missing' : JSON.stringify(kind)}; expected "${BENCH_SCHEMA}", or an older "hakmem-bench/2" or "hakmem-bench/1")`,
    1,
  );
}

/** Reads `file` (or `file`/results.json when it is a directory). */
export function readBenchResults(file: string): { results: BenchResults; upgradedFrom: 1 | 2 | null; path: string } {
  let p = file;
  if (fs.existsSync(p) && fs.statSync(p).isDirectory()) p = path.join(p, 'results.json');
  if (!fs.existsSync(p)) throw new ResultsFileError(`${p}: no such file`, 2);
  let text: string;
  try {
    text = fs.readFileSync(p, 'utf8');
  } catch (e) {
    throw new ResultsFileError(`${p}: cannot read it: ${(e as Error).message}`, 2);
  }
  return { ...parseBenchResults(text, p), path: p };
}
