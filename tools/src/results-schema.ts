/** JSON Schema of bench-results/<ts>/results.json (kind "hakmem-bench/1"), checked with ajv before writing. */
import { Ajv } from 'ajv';
import type { BenchResults } from './types.ts';

const num = { type: 'number' };
const nnum = { type: ['number', 'null'] };
const str = { type: 'string' };

const runSchema = {
  type: 'object',
  required: ['workload', 'allocator', 'round', 'order', 'argv', 'status', 'exitCode', 'signal', 'wallSeconds', 'maxRssKb', 'result', 'stderrTail'],
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
          properties: { name: str, ops: num, seconds: num, mops: num, extra: { type: 'object', additionalProperties: str } },
        },
      ],
    },
    stderrTail: str,
  },
};

const summarySchema = {
  type: 'object',
  required: ['workload', 'allocator', 'runs', 'failures', 'failureKinds', 'medianMops', 'cv', 'ratioToMimalloc', 'ratioToGlibc', 'medianMaxRssKb', 'best'],
  properties: {
    workload: str, allocator: str, runs: { type: 'integer' }, failures: { type: 'integer' },
    failureKinds: { type: 'array', items: str },
    medianMops: nnum, cv: nnum, ratioToMimalloc: nnum, ratioToGlibc: nnum, medianMaxRssKb: nnum, best: { type: 'boolean' },
  },
};

export const benchResultsSchema = {
  $id: 'https://hakmem.invalid/schemas/bench-results-1.json',
  type: 'object',
  required: ['schema', 'context', 'config', 'runs', 'summary'],
  properties: {
    schema: { const: 'hakmem-bench/1' },
    context: {
      type: 'object',
      required: ['date', 'gitSha', 'gitDirty', 'hakmem', 'compiler', 'cflags', 'peers', 'cpuModel', 'nproc', 'memTotalKb', 'kernel', 'node'],
      properties: {
        date: { type: 'string', format: 'date-time' },
        gitSha: str,
        gitDirty: { type: ['boolean', 'null'] },
        hakmem: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            required: ['path', 'mode', 'profile', 'configHash', 'boxVersions'],
            properties: { path: str, mode: { type: ['string', 'null'] }, profile: { type: ['string', 'null'] }, configHash: { type: ['string', 'null'] }, boxVersions: { type: ['string', 'null'] } },
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
      required: ['rounds', 'quick', 'baseline', 'workloads', 'allocators', 'missingPeers'],
      properties: {
        rounds: { type: 'integer', minimum: 1 },
        quick: { type: 'boolean' },
        baseline: str,
        workloads: { type: 'array', items: { type: 'object', required: ['name', 'args'], properties: { name: str, args: { type: 'array', items: str } } } },
        allocators: {
          type: 'array',
          items: { type: 'object', required: ['name', 'preload'], properties: { name: str, preload: { type: ['string', 'null'] }, env: { type: 'object', additionalProperties: str } } },
        },
        missingPeers: { type: 'array', items: str },
      },
    },
    runs: { type: 'array', items: runSchema },
    summary: { type: 'array', items: summarySchema },
    instructions: { type: 'array', items: { type: 'object', required: ['workload', 'allocator', 'n', 'perOp'] } },
    syscalls: { type: 'array', items: { type: 'object', required: ['workload', 'allocator', 'n', 'steady', 'steadyPer1e8Ops'] } },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
const validate = ajv.compile(benchResultsSchema);

/** Throws with ajv's messages when `data` is not a valid results.json document. */
export function assertBenchResults(data: unknown): asserts data is BenchResults {
  if (!validate(data)) {
    throw new Error(`results.json does not match its schema: ${ajv.errorsText(validate.errors)}`);
  }
}
