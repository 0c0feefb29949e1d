/**
 * What `hakmem tune` hands back: the winner as a HAKMEM_* environment line, a profile file that
 * HAKMEM_PROFILE selects at run time (native/src/env/env.c reads it), a hakmem.config.ts that
 * codegen builds; tune.json (schema hakmem-tune/1, checked with ajv before it is written: every
 * run of the search, the verdict and the check of the other workloads), summary.md, and
 * report.html with the search's progress and the verdict (report-html.ts, chart.ts).
 */
import path from 'node:path';
import type { AnyKnobValue } from '@hakmem/box-kit';
import { Ajv } from 'ajv';
import { markdownTable } from 'markdown-table';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../report/chart.ts';
import { checkConfig, KnobError } from '../bench/knobs.ts';
import { escapeHtml, mdTableToHtml, renderReportHtml } from '../report/report-html.ts';
import type { RatioEstimate } from '../results/stats.ts';
import { candidateConfig, describeOverrides, type Candidate } from './tune-space.ts';
import { CONTROL, failureReason, type Trial } from './tune-search.ts';
import { TUNE_SCHEMA, type TuneResults } from './tune.ts';
import { createResultsDir, updateLatest, writeFiles } from '../results/write-results.ts';
import { readJsonOfSchema, ResultsFileError } from '../results/read-results.ts';

const estimate = {
  type: ['object', 'null'],
  required: ['n', 'ratio', 'ci'],
  properties: {
    n: { type: 'integer', minimum: 0 },
    ratio: { type: ['number', 'null'] },
    ci: { anyOf: [{ type: 'null' }, { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 }] },
  },
};

const tuneSchema = {
  type: 'object',
  required: [
    'schema',
    'context',
    'config',
    'plan',
    'candidates',
    'refused',
    'rungs',
    'trials',
    'verdict',
    'others',
    'outputs',
    'elapsedSeconds',
  ],
  properties: {
    schema: { const: TUNE_SCHEMA },
    context: { type: 'object', required: ['date', 'gitSha', 'hakmem', 'cpuModel', 'nproc'] },
    config: {
      type: 'object',
      required: [
        'target',
        'name',
        'objective',
        'budgetSeconds',
        'verdictRounds',
        'library',
        'controlConfigHash',
        'space',
      ],
      properties: {
        target: {
          type: 'object',
          required: ['kind', 'label', 'argv', 'metric'],
          properties: { kind: { enum: ['workload', 'command'] }, argv: { type: 'array', items: { type: 'string' } } },
        },
        objective: { enum: ['speed', 'rss'] },
        verdictRounds: { type: 'integer', minimum: 9 },
        space: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['path', 'kind', 'scope', 'env', 'base', 'values'],
            properties: { scope: { enum: ['env', 'const'] }, values: { type: 'array', minItems: 1 } },
          },
        },
      },
    },
    plan: {
      type: 'object',
      required: ['candidates', 'rungs', 'runs', 'seconds', 'secondsPerRun'],
      properties: {
        rungs: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['candidates', 'passes'],
            properties: { candidates: { type: 'integer', minimum: 1 }, passes: { type: 'integer', minimum: 1 } },
          },
        },
      },
    },
    candidates: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'overrides', 'env', 'configHash', 'state', 'reason', 'rung', 'speed', 'rss', 'score', 'n'],
        properties: {
          id: { type: 'string', pattern: '^c[0-9]+$' },
          state: { enum: ['running', 'failed', 'rejected', 'eliminated', 'finalist', 'winner', 'best'] },
          env: { type: 'object', additionalProperties: { type: 'string', pattern: '^[^\\s]+$' } },
          configHash: { type: 'string', pattern: '^[0-9a-f]{16}$' },
        },
      },
    },
    refused: {
      type: 'array',
      items: {
        type: 'object',
        required: ['overrides', 'problems'],
        properties: { problems: { type: 'array', minItems: 1, items: { type: 'string' } } },
      },
    },
    rungs: {
      type: 'array',
      items: { type: 'object', required: ['rung', 'candidates', 'plannedPasses', 'passes', 'promoted', 'seconds'] },
    },
    trials: {
      type: 'array',
      minItems: 2,
      items: {
        type: 'object',
        required: ['index', 'phase', 'workload', 'candidate', 'status', 'metric', 'wallSeconds', 'maxRssKb', 'at'],
        properties: {
          phase: { enum: ['calibrate', 'search', 'verdict', 'check'] },
          status: { enum: ['ok', 'failed', 'crashed', 'timeout', 'malformed'] },
          metric: { type: ['number', 'null'] },
        },
      },
    },
    verdict: {
      type: 'object',
      required: ['result', 'summary', 'winner', 'overrides', 'rounds', 'speed', 'rss', 'memory', 'failures'],
      properties: {
        result: { enum: ['better', 'none found'] },
        summary: { type: 'string', minLength: 1 },
        speed: estimate,
        rss: estimate,
        memory: estimate,
      },
    },
    others: {
      anyOf: [
        { type: 'null' },
        {
          type: 'array',
          items: {
            type: 'object',
            required: ['workload', 'rounds', 'speed', 'rss', 'effect', 'memoryEffect', 'failures'],
            properties: {
              speed: estimate,
              rss: estimate,
              effect: { enum: ['slower', 'faster', 'same', null] },
              memoryEffect: { enum: ['more', 'less', 'same', null] },
            },
          },
        },
      ],
    },
    outputs: { type: 'object', required: ['env', 'profile', 'profileLine', 'config', 'fragment', 'configProblems'] },
  },
};

export const validateTuneResults = new Ajv({ strict: false }).compile(tuneSchema);

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A value as a TypeScript literal, objects on indented lines (a config file people read). */
export function tsLiteral(v: unknown, indent = ''): string {
  if (Array.isArray(v)) return `[${v.map((x) => tsLiteral(x, indent)).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const inner = `${indent}  `;
    const lines = Object.entries(v as Record<string, unknown>).map(
      ([k, x]) => `${inner}${IDENT.test(k) ? k : `'${k}'`}: ${tsLiteral(x, inner)},`,
    );
    return lines.length ? `{\n${lines.join('\n')}\n${indent}}` : '{}';
  }
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return String(v);
}

/** The overrides alone as a hakmem.config.ts fragment: `{ unifiedCache: { capacity: 1024 } }`. */
export function configFragment(overrides: Readonly<Record<string, AnyKnobValue>>): string {
  return tsLiteral(candidateConfig({}, overrides));
}

/** A fragment on one line: `{ superslab: { poolLimit: 64 } }`. */
export function oneLine(fragment: string): string {
  return fragment
    .replace(/,\n\s*([}\]])/g, ' $1')
    .replace(/\{\n\s*/g, '{ ')
    .replace(/\n\s*/g, ' ');
}

/** A whole hakmem.config.ts: the project's configuration with the overrides, and what it is in comments. */
export function configFile(c: Pick<Candidate, 'config'>, comments: readonly string[]): string {
  return `${comments.map((l) => `// ${l}`).join('\n')}\nimport { defineConfig } from '@hakmem/codegen';\n\nexport default defineConfig(${tsLiteral(c.config)});\n`;
}

/** The HAKMEM_* line of a candidate's run-time knobs (HAKMEM_PROFILE first when it sets the profile). */
export function envLine(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .sort(([a], [b]) => (a === 'HAKMEM_PROFILE' ? -1 : b === 'HAKMEM_PROFILE' ? 1 : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/**
 * A profile file for HAKMEM_PROFILE=<path>: `#` comments saying what it is, then one
 * HAKMEM_<KNOB>=VALUE line per run-time override (HAKMEM_PROFILE=<name> first when the profile
 * itself changed), the format native/src/env/env.c reads.
 */
export function profileFile(
  c: Pick<Candidate, 'env' | 'settings' | 'configHash'>,
  comments: readonly string[],
): string {
  const build = c.settings.filter((s) => s.scope === 'const');
  const lines = comments.map((l) => `# ${l}`);
  if (build.length)
    lines.push(
      `# build-time knobs, which a profile cannot set (build them from the .config.ts beside this file): ${build.map((s) => `${s.path}=${String(s.value)}`).join(' ')}`,
    );
  else lines.push(`# the configuration in force under it: config=${c.configHash} (HAKMEM_VERBOSE=1 names it)`);
  const vars = envLine(c.env);
  return `${lines.join('\n')}\n${vars ? `${vars.split(' ').join('\n')}\n` : ''}`;
}

export const fmtEstimate = (e: RatioEstimate | null | undefined): string =>
  e?.ratio == null ? '–' : `${e.ratio.toFixed(3)}${e.ci ? ` [${e.ci[0].toFixed(3)}–${e.ci[1].toFixed(3)}]` : ' [–]'}`;

/** The other workloads' table: the winner over the default per round, speed and peak RSS. */
export function othersTable(r: TuneResults): string | null {
  if (!r.others) return null;
  return markdownTable(
    [
      [
        'workload',
        'rounds',
        'M ops/s winner / default [95% CI]',
        'effect',
        'peak RSS winner / default [95% CI]',
        'memory',
        'failed runs',
      ],
      ...r.others.map((w) => [
        w.workload,
        String(w.rounds),
        fmtEstimate(w.speed),
        w.effect ?? '–',
        fmtEstimate(w.rss),
        w.memoryEffect ?? '–',
        String(w.failures),
      ]),
    ],
    { align: ['l', 'r', 'r', 'l', 'r', 'l', 'r'] },
  );
}

/** "worse than the default on: larson (slower), batch (more memory)", or that it is worse nowhere. */
export function worseLine(r: TuneResults): string | null {
  if (!r.others) return null;
  const worse = r.others.flatMap((w) => {
    const what = [w.effect === 'slower' ? 'slower' : null, w.memoryEffect === 'more' ? 'more memory' : null].filter(
      Boolean,
    );
    return what.length ? [`${w.workload} (${what.join(', ')})`] : [];
  });
  const failed = r.others.filter((w) => w.failures > 0).map((w) => w.workload);
  return (
    (worse.length
      ? `worse than the default on: ${worse.join(', ')}`
      : 'worse than the default on none of them (no interval wholly on the wrong side of 1.0)') +
    (failed.length ? `; runs failed on: ${failed.join(', ')}` : '')
  );
}

function candidateRows(r: TuneResults): string[][] {
  const order = { winner: 0, best: 0, finalist: 1, eliminated: 2, running: 2, rejected: 3, failed: 4 } as Record<
    string,
    number
  >;
  return [...r.candidates]
    .sort((a, b) => (order[a.state] ?? 5) - (order[b.state] ?? 5) || b.rung - a.rung || (b.score ?? 0) - (a.score ?? 0))
    .map((c) => [
      c.id,
      describeOverrides(c.overrides),
      c.state,
      String(c.rung + 1),
      String(c.n),
      c.speed == null ? '–' : c.speed.toFixed(3),
      c.rss == null ? '–' : c.rss.toFixed(3),
      c.reason ?? '',
    ]);
}

const CANDIDATE_HEADER = [
  'candidate',
  'overrides',
  'state',
  'last rung',
  'ratios',
  'speed / default (median)',
  'peak RSS / default (median)',
  'why it left',
];

/** summary.md: the verdict, the outputs, the other workloads, the search. */
export function tuneSummary(r: TuneResults, dir: string): string {
  const c = r.config;
  const lines = [
    `# hakmem tune ${c.name} ${r.context.date.slice(0, 19)}Z`,
    '',
    `${c.target.kind} \`${c.target.label}\`; objective ${c.objective === 'speed' ? `speed (${c.target.metric.unit})${c.maxRss != null ? `, peak RSS at most ${c.maxRss}× the default's` : ''}` : `peak RSS, at least ${c.minSpeed}× the default's speed`}; budget ${Math.round(c.budgetSeconds)} s (took ${Math.round(r.elapsedSeconds)} s); library ${c.library}; the control is the build's configuration (config ${c.controlConfigHash}); git ${r.context.gitSha.slice(0, 12)}${r.context.gitDirty ? ' (dirty)' : ''}.`,
    '',
    '## Verdict',
    '',
    `**${r.verdict.result === 'better' ? 'better' : 'none found'}**: ${r.verdict.summary}.`,
  ];
  if (r.verdict.result === 'better') {
    lines.push(
      '',
      `- environment: \`${r.outputs.env ?? ''}\``,
      `- profile file: \`${r.outputs.profileLine ?? ''}\` (Standard and OBSERVE)`,
      `- hakmem.config.ts: \`${path.join(dir, r.outputs.config ?? '')}\`; the overrides as a fragment:`,
      '',
      '```ts',
      r.outputs.fragment ?? '',
      '```',
    );
    if (r.outputs.configProblems)
      lines.push(
        '',
        `Codegen refuses that file as a build configuration (a build must hold under every profile; the profile file only under its own): ${r.outputs.configProblems.join('; ')}.`,
      );
  }
  const table = othersTable(r);
  if (table) lines.push('', '## Other workloads', '', table, '', `${worseLine(r)}.`);
  const failed = r.candidates.filter((x) => x.state === 'failed').length;
  const rejected = r.candidates.filter((x) => x.state === 'rejected').length;
  const searchRuns = r.trials.filter((t) => t.phase === 'search');
  lines.push(
    '',
    '## Search',
    '',
    `${r.candidates.length} candidate(s) from ${c.space.length} knob(s) (${r.refused.length} more refused by codegen before running), successive halving over ${r.rungs.length} rung(s), ${searchRuns.length} runs, ${searchRuns.filter((t) => t.candidate === CONTROL).length} of them the default's; ${failed} failed and skipped, ${rejected} rejected${r.cutShort ? `; cut short: ${r.cutShort}` : ''}.`,
    '',
    markdownTable([
      ['rung', 'candidates', 'passes (planned)', 'promoted', 'seconds'],
      ...r.rungs.map((g) => [
        String(g.rung + 1),
        String(g.candidates.length),
        `${g.passes} (${g.plannedPasses})`,
        g.promoted.join(' ') || '–',
        g.seconds.toFixed(0),
      ]),
    ]),
    '',
    markdownTable([CANDIDATE_HEADER, ...candidateRows(r)]),
  );
  if (r.refused.length)
    lines.push(
      '',
      '## Refused by codegen (never run)',
      '',
      ...r.refused.map((x) => `- ${describeOverrides(x.overrides)}: ${x.problems.join('; ')}`),
    );
  return `${lines.join('\n')}\n`;
}

/** The search's progress: every candidate run's ratio over the default runs beside it, by time; the winner's marked. */
export function searchChartSpec(r: TuneResults): TopLevelSpec {
  const winner = r.verdict.winner;
  const values = r.trials
    .filter((t) => t.phase === 'search' && t.candidate !== CONTROL && t.ratio != null)
    .map((t) => ({
      at: t.at,
      ratio: t.ratio,
      rung: `rung ${t.rung! + 1}`,
      candidate: t.candidate,
      who: t.candidate === winner ? `${winner} (the best)` : 'the others',
    }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Search: each candidate run over the default runs beside it (${r.config.objective === 'speed' ? r.config.target.metric.unit : 'speed'})`,
      subtitle: 'above 1.0 is better than the default; rungs in colour, the best candidate as diamonds',
    },
    width: 640,
    height: 300,
    data: { values },
    layer: [
      {
        mark: { type: 'point', filled: true, opacity: 0.75 },
        encoding: {
          x: { field: 'at', type: 'quantitative', title: 'seconds into the tune' },
          y: {
            field: 'ratio',
            type: 'quantitative',
            scale: { type: 'log', nice: false },
            title: 'ratio to the default',
          },
          color: { field: 'rung', type: 'nominal', title: null },
          shape: {
            field: 'who',
            type: 'nominal',
            title: null,
            scale: { domain: [`${winner} (the best)`, 'the others'], range: ['diamond', 'circle'] },
          },
          size: { condition: { test: `datum.candidate === '${winner ?? ''}'`, value: 90 }, value: 30 },
          tooltip: [{ field: 'candidate' }, { field: 'ratio', format: '.3f' }, { field: 'rung' }],
        },
      },
      { mark: { type: 'rule', color: '#555', strokeDash: [4, 3] }, encoding: { y: { datum: 1 } } },
    ],
    config: { font: 'sans-serif', view: { stroke: null } },
  } as TopLevelSpec;
}

/** The verdict: the winner's per-round ratio to the default, its median and 95 % interval. */
export function verdictChartSpec(r: TuneResults): TopLevelSpec | null {
  const v = r.verdict;
  if (!v.winner || v.rounds === 0) return null;
  const lower = r.config.target.metric.lowerIsBetter;
  const byRound = (id: string) =>
    new Map(
      r.trials
        .filter((t) => t.phase === 'verdict' && t.candidate === id && t.status === 'ok' && t.metric != null)
        .map((t) => [t.round!, lower ? 1 / t.metric! : t.metric!]),
    );
  const w = byRound(v.winner);
  const d = byRound(CONTROL);
  const values = [...w.entries()].filter(([k]) => d.has(k)).map(([round, x]) => ({ round, ratio: x / d.get(round)! }));
  const est = v.speed;
  const band = est?.ci ? [{ lo: est.ci[0], hi: est.ci[1], ratio: est.ratio }] : [];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Verdict: ${v.result === 'better' ? 'better' : 'none found'} (${describeOverrides(v.overrides ?? {})})`,
      subtitle: 'the winner over the default per round (speed); band = 95 % interval, line = median',
    },
    width: 640,
    height: 220,
    layer: [
      {
        data: { values: band },
        mark: { type: 'rect', opacity: 0.18, color: v.result === 'better' ? '#2f7d32' : '#c98a00' },
        encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
      {
        data: { values: band },
        mark: { type: 'rule', color: v.result === 'better' ? '#2f7d32' : '#c98a00' },
        encoding: { y: { field: 'ratio', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'point', filled: true, size: 60, color: '#333' },
        encoding: {
          x: { field: 'round', type: 'quantitative', title: 'round', axis: { tickMinStep: 1 } },
          y: { field: 'ratio', type: 'quantitative', scale: { zero: false }, title: 'winner / default' },
        },
      },
      {
        data: { values: [{}] },
        mark: { type: 'rule', color: '#555', strokeDash: [4, 3] },
        encoding: { y: { datum: 1 } },
      },
    ],
    config: { font: 'sans-serif', view: { stroke: null } },
  } as TopLevelSpec;
}

function failedRuns(trials: readonly Trial[]): { label: string; detail: string }[] {
  return trials
    .filter((t) => t.status !== 'ok')
    .map((t) => ({
      label: `${t.phase} ${t.workload} / ${t.candidate}${t.rung != null ? ` / rung ${t.rung + 1} pass ${t.pass}` : t.round != null ? ` / round ${t.round}` : ''}: ${failureReason(t)}`,
      detail: t.stderrTail,
    }));
}

/** report.html: the candidates, the verdict and its chart, the outputs, the other workloads, the search's progress. */
export async function tuneReportHtml(
  r: TuneResults,
  dir: string,
): Promise<{ html: string; charts: Record<string, string> }> {
  const charts: Record<string, string> = { 'chart-search.svg': await renderSvg(searchChartSpec(r)) };
  const vspec = verdictChartSpec(r);
  if (vspec) charts['chart-verdict.svg'] = await renderSvg(vspec);
  const pre = (s: string) => `<pre>${escapeHtml(s)}</pre>`;
  const outputs =
    r.verdict.result === 'better'
      ? [
          `<p>Environment line:</p>${pre(r.outputs.env ?? '')}`,
          `<p>Profile file (Standard and OBSERVE):</p>${pre(r.outputs.profileLine ?? '')}`,
          `<p>hakmem.config.ts (${escapeHtml(path.join(dir, r.outputs.config ?? ''))}); the overrides as a fragment:</p>${pre(r.outputs.fragment ?? '')}`,
          ...(r.outputs.configProblems
            ? [
                `<p>${escapeHtml('Codegen refuses that file as a build configuration (a build must hold under every profile; the profile file only under its own):')}</p>${pre(r.outputs.configProblems.join('\n'))}`,
              ]
            : []),
        ].join('\n')
      : `<p>${escapeHtml('No better configuration was found, so no profile was written.')}</p>`;
  const table = othersTable(r);
  const extra = [
    {
      title: 'Verdict',
      html: `<p id="verdict" data-result="${escapeHtml(r.verdict.result)}">${escapeHtml(r.verdict.summary)}.</p>`,
    },
    { title: 'Outputs', html: outputs },
    ...(table
      ? [{ title: 'Other workloads', html: `${mdTableToHtml(table)}<p>${escapeHtml(worseLine(r) ?? '')}.</p>` }]
      : []),
    {
      title: 'Rungs',
      html: mdTableToHtml(
        markdownTable([
          ['rung', 'candidates', 'passes (planned)', 'promoted', 'seconds'],
          ...r.rungs.map((g) => [
            String(g.rung + 1),
            String(g.candidates.length),
            `${g.passes} (${g.plannedPasses})`,
            g.promoted.join(' ') || '–',
            g.seconds.toFixed(0),
          ]),
        ]),
      ),
    },
    ...(r.refused.length
      ? [
          {
            title: 'Refused by codegen (never run)',
            html: `<ul>${r.refused.map((x) => `<li>${escapeHtml(`${describeOverrides(x.overrides)}: ${x.problems.join('; ')}`)}</li>`).join('')}</ul>`,
          },
        ]
      : []),
  ];
  const c = r.config;
  const html = renderReportHtml({
    title: `hakmem tune ${c.name} ${r.context.date.slice(0, 19)}Z`,
    intro: [
      `${c.target.kind} ${c.target.label}; objective ${c.objective}; budget ${Math.round(c.budgetSeconds)} s; the control is the build's configuration (config ${c.controlConfigHash}).`,
      `${r.verdict.result === 'better' ? 'Better' : 'None found'}: ${r.verdict.summary}.`,
    ],
    table: {
      header: CANDIDATE_HEADER,
      align: ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'l'],
      rows: candidateRows(r).map((cells) => ({
        cells,
        best: cells[2] === 'winner',
        tie: cells[2] === 'best' || cells[2] === 'finalist',
        behind: cells[2] === 'rejected',
        failed: cells[2] === 'failed',
      })),
    },
    charts: Object.entries(charts).map(([name, svg]) => ({ name, svg })),
    context: { ...r.context, library: c.library, seed: c.seed, budgetSeconds: c.budgetSeconds },
    failures: failedRuns(r.trials),
    extraSections: extra,
  });
  return { html, charts };
}

/**
 * Writes a tune's files into <outDir>/tune-<timestamp>/ (and latest-tune): the results, the
 * summary and the report, and with a result the environment line, the profile file and the
 * hakmem.config.ts. Fills in results.outputs; validates the results against the schema first.
 */
export async function writeTune(
  r: TuneResults,
  winner: Candidate | null,
  outDir: string,
): Promise<{ dir: string; summary: string; files: string[] }> {
  const dir = createResultsDir(outDir, 'tune-');
  const files: Record<string, string> = {};
  const name = r.config.name;
  if (r.verdict.result === 'better' && winner) {
    const comments = [
      `hakmem profile ${name}: written by hakmem tune on ${r.context.date.slice(0, 19)}Z (git ${r.context.gitSha.slice(0, 12)})`,
      `${r.config.target.kind} ${r.config.target.label}; objective ${r.config.objective}`,
      `verdict: ${r.verdict.summary}`,
    ];
    const profileName = `${name}.profile`;
    const configName = `${name}.config.ts`;
    const env = envLine(winner.env);
    let configProblems: string[] | null = null;
    try {
      await checkConfig(configName, winner.config);
    } catch (e) {
      if (!(e instanceof KnobError)) throw e;
      configProblems = e.message.split('\n');
    }
    files[profileName] = profileFile(winner, [...comments, `select it: HAKMEM_PROFILE=${path.join(dir, profileName)}`]);
    files[`${name}.env`] = `${env}\n`;
    files[configName] = configFile(winner, [
      ...comments,
      `The project's hakmem.config.ts with the overrides found: npm run codegen -- --config ${configName} checks and generates it.`,
      ...(configProblems
        ? [
            'Codegen refuses it as a build configuration, which must hold under every profile (Standard can switch',
            'profile at run time); the profile file and the environment line hold only under their own. Its words:',
            ...configProblems.map((l) => `  ${l}`),
          ]
        : []),
    ]);
    r.outputs = {
      env: env || null,
      profile: profileName,
      profileLine: `HAKMEM_PROFILE=${path.join(dir, profileName)}`,
      config: configName,
      fragment: configFragment(winner.overrides),
      configProblems,
    };
  }
  if (!validateTuneResults(r))
    throw new Error(`tune results do not match their schema: ${JSON.stringify(validateTuneResults.errors)}`);
  const summary = tuneSummary(r, dir);
  const { html, charts } = await tuneReportHtml(r, dir);
  Object.assign(files, {
    'tune.json': `${JSON.stringify(r, null, 2)}\n`,
    'summary.md': summary,
    'report.html': html,
    ...charts,
  });
  const written = writeFiles(dir, files);
  updateLatest(outDir, dir, 'latest-tune');
  return { dir, summary, files: written };
}

/** A tune.json (or a directory holding one), checked against its schema; null when the file is another kind. */
export function readTuneResults(file: string): TuneResults | null {
  const read = readJsonOfSchema(file, 'tune.json', TUNE_SCHEMA);
  if (!read) return null;
  const data = read.data;
  if (!validateTuneResults(data)) {
    const e = validateTuneResults.errors?.[0];
    throw new ResultsFileError(
      `${file}: not a valid ${TUNE_SCHEMA} file: ${e?.instancePath || '/'} ${e?.message ?? ''}`,
      1,
    );
  }
  return data as unknown as TuneResults;
}

/** A tune's result for hakmem table and hakmem figures: where it comes from, the search in one row, the
 *  verdict in its own words, and the winner's effect on the other workloads when it was checked. */
export function tuneTableFromResults(r: TuneResults, o: { source: string }): string {
  const c = r.config;
  const x = r.context;
  const provenance = [
    `Source: ${o.source}`,
    `git ${x.gitSha.slice(0, 12)}${x.gitDirty ? ' (dirty)' : ''}`,
    `${x.date.slice(0, 19)}Z`,
    `hakmem tune ${c.target.label}, ${path.basename(c.library)} config ${c.controlConfigHash}, seed ${c.seed}`,
    `${x.cpuModel}, ${x.nproc} CPUs`,
  ].join(' · ');
  const v = r.verdict;
  const finalist = v.overrides ? describeOverrides(v.overrides) : '–';
  const searched = r.trials.filter((t) => t.phase === 'search').length;
  const table = markdownTable(
    [
      [
        'target',
        'budget (took)',
        'knobs',
        'candidates run (refused)',
        'search runs',
        'best candidate',
        `${c.objective === 'speed' ? c.target.metric.unit : 'peak RSS'} best / default [95% CI]`,
        'peak RSS best / default [95% CI]',
        'verdict',
      ],
      [
        c.target.label,
        `${Math.round(c.budgetSeconds)} s (${Math.round(r.elapsedSeconds)} s)`,
        String(c.space.length),
        `${r.candidates.length} (${r.refused.length})`,
        String(searched),
        finalist,
        fmtEstimate(c.objective === 'speed' ? v.speed : v.memory),
        fmtEstimate(v.rss),
        v.result,
      ],
    ],
    { align: ['l', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'l'] },
  );
  const out = [provenance, '', table, '', `${v.summary}.`];
  const others = othersTable(r);
  if (others) out.push('', others, '', `${worseLine(r)}.`);
  return `${out.join('\n')}\n`;
}
