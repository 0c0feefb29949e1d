/**
 * JSON Schema of bench-results/<ts>/results.json, checked with ajv before writing. Kind
 * "hakmem-bench/3" (per-workload rounds, ratio intervals, one verdict per workload: the best
 * hakmem build against the best peer, and Standard / FAST). Older kinds are still recognised
 * for reading: "hakmem-bench/2" (verdicts among all allocators, vsRunnerUp) and
 * "hakmem-bench/1" (one round count, bare ratios, best only); their runs are summarised again.
 */
import { Ajv } from 'ajv';
import { BENCH_SCHEMA, type BenchResults } from '../types.ts';

const num = { type: 'number' };
const nnum = { type: ['number', 'null'] };
const str = { type: 'string' };

const runSchema = {
  type: 'object',
  required: [
    'workload',
    'allocator',
    'round',
    'order',
    'argv',
    'status',
    'exitCode',
    'signal',
    'wallSeconds',
    'maxRssKb',
    'result',
    'stderrTail',
  ],
  properties: {
    workload: str,
    allocator: str,
    round: { type: 'integer', minimum: 1 },
    order: { type: 'integer', minimum: 0 },
    argv: { type: 'array', items: str },
    status: { enum: ['ok', 'failed', 'crashed', 'timeout', 'malformed'] },
    exitCode: { type: ['integer', 'null'] },
    signal: { type: ['integer', 'null'] },
    wallSeconds: nnum,
    maxRssKb: nnum,
    result: {
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['name', 'ops', 'seconds', 'mops', 'extra'],
          properties: {
            name: str,
            ops: num,
            seconds: num,
            mops: num,
            extra: { type: 'object', additionalProperties: str },
          },
        },
      ],
    },
    stderrTail: str,
  },
};

const summaryV1 = {
  type: 'object',
  required: [
    'workload',
    'allocator',
    'runs',
    'failures',
    'failureKinds',
    'medianMops',
    'cv',
    'ratioToMimalloc',
    'ratioToGlibc',
    'medianMaxRssKb',
    'best',
  ],
  properties: {
    workload: str,
    allocator: str,
    runs: { type: 'integer' },
    failures: { type: 'integer' },
    failureKinds: { type: 'array', items: str },
    medianMops: nnum,
    cv: nnum,
    ratioToMimalloc: nnum,
    ratioToGlibc: nnum,
    medianMaxRssKb: nnum,
    best: { type: 'boolean' },
  },
};

/** [lo, hi] or null. */
const ci = { oneOf: [{ type: 'null' }, { type: 'array', items: num, minItems: 2, maxItems: 2 }] };

const summaryV2 = {
  type: 'object',
  required: [...summaryV1.required, 'ratioToMimallocCi', 'ratioToGlibcCi', 'verdict', 'vsRunnerUp'],
  properties: {
    ...summaryV1.properties,
    ratioToMimallocCi: ci,
    ratioToGlibcCi: ci,
    verdict: { enum: ['best', 'tie', null] },
    vsRunnerUp: {
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['allocator', 'ratio', 'ci', 'n'],
          properties: { allocator: str, ratio: nnum, ci, n: { type: 'integer', minimum: 0 } },
        },
      ],
    },
  },
};

/** /3: the verdict sits on the best hakmem build's row; the comparison itself is in `verdicts`. */
const summaryV3 = {
  type: 'object',
  required: [...summaryV1.required, 'ratioToMimallocCi', 'ratioToGlibcCi', 'verdict'],
  properties: {
    ...summaryV1.properties,
    ratioToMimallocCi: ci,
    ratioToGlibcCi: ci,
    verdict: { enum: ['best', 'tie', 'behind', null] },
  },
};

const ratioComparison = {
  type: 'object',
  required: ['ratio', 'ci', 'n'],
  properties: { ratio: nnum, ci, n: { type: 'integer', minimum: 0 } },
};

const verdictV3 = {
  type: 'object',
  required: ['workload', 'hakmem', 'peer', 'ratio', 'ci', 'n', 'verdict', 'standardOverFast'],
  properties: {
    ...ratioComparison.properties,
    workload: str,
    hakmem: { type: ['string', 'null'] },
    peer: { type: ['string', 'null'] },
    verdict: { enum: ['best', 'tie', 'behind', null] },
    standardOverFast: { oneOf: [{ type: 'null' }, ratioComparison] },
  },
};

const workloadV1 = {
  type: 'object',
  required: ['name', 'args'],
  properties: { name: str, args: { type: 'array', items: str } },
};
const workloadV2 = {
  type: 'object',
  required: ['name', 'args', 'rounds', 'threaded'],
  properties: { ...workloadV1.properties, rounds: { type: 'integer', minimum: 1 }, threaded: { type: 'boolean' } },
};

function resultsSchema(version: 1 | 2 | 3) {
  return {
    $id: `https://hakmem.invalid/schemas/bench-results-${version}.json`,
    type: 'object',
    required: ['schema', 'context', 'config', 'runs', 'summary', ...(version >= 3 ? ['verdicts'] : [])],
    properties: {
      schema: { const: `hakmem-bench/${version}` },
      context: {
        type: 'object',
        required: [
          'date',
          'gitSha',
          'gitDirty',
          'hakmem',
          'compiler',
          'cflags',
          'peers',
          'cpuModel',
          'nproc',
          'memTotalKb',
          'kernel',
          'node',
        ],
        properties: {
          date: { type: 'string', format: 'date-time' },
          gitSha: str,
          gitDirty: { type: ['boolean', 'null'] },
          hakmem: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              required: ['path', 'mode', 'profile', 'configHash', 'boxVersions'],
              properties: {
                path: str,
                mode: { type: ['string', 'null'] },
                profile: { type: ['string', 'null'] },
                configHash: { type: ['string', 'null'] },
                boxVersions: { type: ['string', 'null'] },
              },
            },
          },
          compiler: str,
          cflags: { type: ['string', 'null'] },
          peers: { type: 'object', additionalProperties: str },
          cpuModel: str,
          nproc: { type: 'integer', minimum: 1 },
          memTotalKb: nnum,
          kernel: str,
          node: str,
        },
      },
      config: {
        type: 'object',
        required: [
          'rounds',
          'quick',
          'baseline',
          'workloads',
          'allocators',
          'missingPeers',
          ...(version >= 2 ? ['mtRounds'] : []),
        ],
        properties: {
          rounds: { type: 'integer', minimum: 1 },
          mtRounds: { type: 'integer', minimum: 1 },
          quick: { type: 'boolean' },
          baseline: str,
          workloads: { type: 'array', items: version >= 2 ? workloadV2 : workloadV1 },
          allocators: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'preload'],
              properties: {
                name: str,
                preload: { type: ['string', 'null'] },
                env: { type: 'object', additionalProperties: str },
              },
            },
          },
          missingPeers: { type: 'array', items: str },
          skipped: {
            type: 'array',
            items: {
              type: 'object',
              required: ['workload', 'allocator', 'reason'],
              properties: { workload: str, allocator: str, reason: str },
            },
          },
        },
      },
      runs: { type: 'array', items: runSchema },
      summary: { type: 'array', items: version === 3 ? summaryV3 : version === 2 ? summaryV2 : summaryV1 },
      verdicts: { type: 'array', items: verdictV3 },
      instructions: { type: 'array', items: { type: 'object', required: ['workload', 'allocator', 'n', 'perOp'] } },
      syscalls: {
        type: 'array',
        items: { type: 'object', required: ['workload', 'allocator', 'n', 'steady', 'steadyPer1e8Ops'] },
      },
      stats: {
        type: 'array',
        items: {
          type: 'object',
          required: ['workload', 'library', 'argv', 'report'],
          properties: {
            workload: str,
            library: str,
            argv: { type: 'array', items: str },
            report: {
              anyOf: [
                { type: 'null' },
                {
                  type: 'object',
                  required: ['hakmem_stats', 'classes', 'totals', 'boxes'],
                  properties: { classes: { type: 'array' }, totals: { type: 'object' }, boxes: { type: 'object' } },
                },
              ],
            },
            error: str,
          },
        },
      },
    },
  };
}

export const benchResultsSchema = resultsSchema(3);
export const benchResultsSchemaV2 = resultsSchema(2);
export const benchResultsSchemaV1 = resultsSchema(1);

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
const validate = ajv.compile(benchResultsSchema);
const validateV2 = ajv.compile(benchResultsSchemaV2);
const validateV1 = ajv.compile(benchResultsSchemaV1);

/** The shape of a hakmem-bench/2 document: /3 without `verdicts`, with its own summary rows (read again from the runs). */
export type BenchResultsV2 = Omit<BenchResults, 'schema' | 'summary' | 'verdicts'> & {
  schema: 'hakmem-bench/2';
  summary: unknown[];
};

/** The shape of a hakmem-bench/1 document (the runs are the same as in /2). */
export type BenchResultsV1 = Omit<BenchResults, 'schema' | 'config' | 'summary' | 'verdicts'> & {
  schema: 'hakmem-bench/1';
  config: Omit<BenchResults['config'], 'mtRounds' | 'workloads'> & { workloads: { name: string; args: string[] }[] };
  summary: unknown[];
};

/** Throws with ajv's messages when `data` is not a valid hakmem-bench/3 results.json document. */
export function assertBenchResults(data: unknown): asserts data is BenchResults {
  if (!validate(data)) {
    throw new Error(`results.json does not match its schema (${BENCH_SCHEMA}): ${ajv.errorsText(validate.errors)}`);
  }
}

/** Which results.json kind `data` is, when it says so: 1, 2, 3, or null. */
export function benchSchemaVersion(data: unknown): 1 | 2 | 3 | null {
  const kind = data && typeof data === 'object' ? (data as { schema?: unknown }).schema : undefined;
  return kind === 'hakmem-bench/3' ? 3 : kind === 'hakmem-bench/2' ? 2 : kind === 'hakmem-bench/1' ? 1 : null;
}

/** Throws with ajv's messages when `data` is not a valid hakmem-bench/2 document. */
export function assertBenchResultsV2(data: unknown): asserts data is BenchResultsV2 {
  if (!validateV2(data)) {
    throw new Error(`results.json does not match its schema (hakmem-bench/2): ${ajv.errorsText(validateV2.errors)}`);
  }
}

/** Throws with ajv's messages when `data` is not a valid hakmem-bench/1 document. */
export function assertBenchResultsV1(data: unknown): asserts data is BenchResultsV1 {
  if (!validateV1(data)) {
    throw new Error(`results.json does not match its schema (hakmem-bench/1): ${ajv.errorsText(validateV1.errors)}`);
  }
}
