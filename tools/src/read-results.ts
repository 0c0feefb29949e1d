/**
 * Reads a bench results.json (a file, or a results directory holding one) for `hakmem table`:
 * hakmem-bench/2 as written, hakmem-bench/1 upgraded by summarising its runs again (the runs
 * carry everything the intervals and verdicts need).
 */
import fs from 'node:fs';
import path from 'node:path';
import { assertBenchResults, assertBenchResultsV1, benchSchemaVersion, type BenchResultsV1 } from './results-schema.ts';
import { summarize } from './summarize.ts';
import { BENCH_SCHEMA, type BenchResults } from './types.ts';
import { isThreadedWorkload } from './plan-rounds.ts';

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

/** A hakmem-bench/1 document as /2: every workload at the file's one round count, the summary recomputed from the runs. */
export function upgradeV1(v1: BenchResultsV1): BenchResults {
  const rounds = v1.config.rounds;
  const workloads = v1.config.workloads.map((w) => ({ ...w, rounds, threaded: isThreadedWorkload(w.name) }));
  return {
    ...v1,
    schema: BENCH_SCHEMA,
    config: { ...v1.config, mtRounds: rounds, workloads },
    summary: summarize(
      v1.runs,
      workloads.map((w) => w.name),
      v1.config.allocators.map((a) => a.name),
      rounds,
    ),
  };
}

/** Parses and checks a results document; throws ResultsFileError (exit 1) naming what is wrong. */
export function parseBenchResults(text: string, source: string): { results: BenchResults; upgradedFrom: 1 | null } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ResultsFileError(`${source} is not JSON: ${(e as Error).message}`, 1);
  }
  const version = benchSchemaVersion(data);
  try {
    if (version === 2) {
      assertBenchResults(data);
      return { results: data, upgradedFrom: null };
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
    `${source} is not a hakmem bench results file (schema ${kind === undefined ? 'missing' : JSON.stringify(kind)}; expected "${BENCH_SCHEMA}" or "hakmem-bench/1")`,
    1,
  );
}

/** Reads `file` (or `file`/results.json when it is a directory). */
export function readBenchResults(file: string): { results: BenchResults; upgradedFrom: 1 | null; path: string } {
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
