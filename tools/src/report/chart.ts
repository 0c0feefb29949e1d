/** SVG charts rendered in Node by vega + vega-lite (headless, no browser, no network). */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { EpochLine, SummaryRow, WorkloadVerdict } from '../types.ts';
import { fmtMops } from './format-table.ts';

/** Renders a vega-lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A row's value normalised to the baseline allocator (median of per-round ratios when available). */
export function normalised(row: SummaryRow, rows: readonly SummaryRow[], baseline: string): number | null {
  if (baseline === 'mimalloc') return row.ratioToMimalloc;
  if (baseline === 'glibc') return row.ratioToGlibc;
  const base = rows.find((r) => r.workload === row.workload && r.allocator === baseline)?.medianMops;
  return base && row.medianMops != null ? row.medianMops / base : null;
}

/** The 95 % interval of a row's ratio to the baseline (null for another baseline or with one round). */
export function normalisedCi(row: SummaryRow, baseline: string): [number, number] | null {
  if (baseline === 'mimalloc') return row.ratioToMimallocCi ?? null;
  if (baseline === 'glibc') return row.ratioToGlibcCi ?? null;
  return null;
}

const VERDICT_COLORS = { best: '#2f7d32', tie: '#c98a00', behind: '#c62828', peer: '#555555', other: '#4c78a8' };

const config = { font: 'sans-serif', view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 } };

/**
 * One workload: a bar per allocator, throughput relative to the baseline (1.0 = baseline),
 * with the 95 % interval of the per-round ratio as an error bar. The best hakmem build's bar
 * carries the verdict (★ green, tie amber, behind red); the best peer it was compared with is grey.
 */
export function workloadChartSpec(
  rows: readonly SummaryRow[],
  workload: string,
  baseline: string,
  verdicts: readonly WorkloadVerdict[] = [],
): TopLevelSpec {
  const judged = verdicts.find((v) => v.workload === workload && v.verdict != null);
  const values = rows
    .filter((r) => r.workload === workload)
    .map((r) => {
      const v = normalised(r, rows, baseline);
      const ci = v == null ? null : normalisedCi(r, baseline);
      const isPeer = judged?.peer === r.allocator;
      const mark =
        r.verdict === 'best'
          ? '★ '
          : r.verdict === 'tie'
            ? 'tie '
            : r.verdict === 'behind'
              ? 'behind '
              : isPeer
                ? 'best peer '
                : '';
      const label =
        v == null
          ? r.failureKinds.join('+').toUpperCase() || 'n/a'
          : `${mark}${v.toFixed(2)}×${ci ? ` [${ci[0].toFixed(2)}–${ci[1].toFixed(2)}]` : ''} (${fmtMops(r.medianMops)} M/s)`;
      return {
        allocator: r.allocator,
        value: v ?? 0,
        label,
        verdict: r.verdict ?? (isPeer ? 'peer' : 'other'),
        ciLow: ci?.[0] ?? null,
        ciHigh: ci?.[1] ?? null,
        labelAt: Math.max(v ?? 0, ci?.[1] ?? 0),
      };
    });
  const y = { field: 'allocator', type: 'nominal', sort: null, title: null };
  const hasCi = { filter: 'datum.ciLow != null' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: workload,
      subtitle: [
        `throughput relative to ${baseline}: median of per-round ratios, error bars = 95 % interval (higher is better)`,
        'the best hakmem build against the best peer (grey): green ★ ahead, amber tie, red behind (interval of the per-round ratio)',
      ],
    },
    width: 520,
    height: { step: 28 },
    data: { values },
    layer: [
      {
        mark: { type: 'bar', opacity: 0.85 },
        encoding: {
          y,
          x: { field: 'value', type: 'quantitative', title: `× ${baseline}` },
          color: {
            field: 'verdict',
            type: 'nominal',
            legend: null,
            scale: { domain: Object.keys(VERDICT_COLORS), range: Object.values(VERDICT_COLORS) },
          },
        },
      },
      { mark: { type: 'rule', color: '#c33', strokeDash: [4, 3] }, encoding: { x: { datum: 1 } } },
      {
        transform: [hasCi],
        mark: { type: 'rule', color: '#222', strokeWidth: 1.5 },
        encoding: { y, x: { field: 'ciLow', type: 'quantitative' }, x2: { field: 'ciHigh' } },
      },
      {
        transform: [hasCi],
        layer: [
          {
            mark: { type: 'tick', color: '#222', thickness: 1.5, size: 10 },
            encoding: { y, x: { field: 'ciLow', type: 'quantitative' } },
          },
          {
            mark: { type: 'tick', color: '#222', thickness: 1.5, size: 10 },
            encoding: { y, x: { field: 'ciHigh', type: 'quantitative' } },
          },
        ],
      },
      {
        mark: { type: 'text', align: 'left', dx: 5 },
        encoding: { y, x: { field: 'labelAt', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
    config,
  } as TopLevelSpec;
}

/** Every workload side by side: grouped bars of throughput relative to the baseline, with 95 % interval error bars. */
export function overviewChartSpec(rows: readonly SummaryRow[], baseline: string): TopLevelSpec {
  const values = rows
    .map((r) => {
      const ci = normalisedCi(r, baseline);
      return {
        workload: r.workload,
        allocator: r.allocator,
        value: normalised(r, rows, baseline),
        ciLow: ci?.[0] ?? null,
        ciHigh: ci?.[1] ?? null,
      };
    })
    .filter((v) => v.value != null);
  const nw = new Set(rows.map((r) => r.workload)).size;
  const na = new Set(rows.map((r) => r.allocator)).size;
  const x = {
    x: { field: 'workload', type: 'nominal', sort: null, title: null, axis: { labelAngle: 0 } },
    xOffset: { field: 'allocator', sort: null },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'hakmem bench overview',
      subtitle: `throughput relative to ${baseline} per workload, error bars = 95 % interval (higher is better)`,
    },
    width: Math.max(360, nw * (na * 16 + 24)),
    height: 260,
    data: { values },
    layer: [
      {
        mark: 'bar',
        encoding: {
          ...x,
          y: { field: 'value', type: 'quantitative', title: `× ${baseline}` },
          color: { field: 'allocator', type: 'nominal', sort: null, scale: { scheme: 'tableau10' } },
          tooltip: [
            { field: 'allocator' },
            { field: 'value', format: '.3f' },
            { field: 'ciLow', format: '.3f' },
            { field: 'ciHigh', format: '.3f' },
          ],
        },
      },
      {
        transform: [{ filter: 'datum.ciLow != null' }],
        mark: { type: 'rule', color: '#222', strokeWidth: 1.2 },
        encoding: { ...x, y: { field: 'ciLow', type: 'quantitative' }, y2: { field: 'ciHigh' } },
      },
      { mark: { type: 'rule', color: '#c33', strokeDash: [4, 3] }, encoding: { y: { datum: 1 } } },
    ],
    config,
  } as TopLevelSpec;
}

/** Standard / FAST per workload: the median of the per-round ratios hakmem / hakmem-fast with its 95 % interval. */
export function standardOverFastChartSpec(verdicts: readonly WorkloadVerdict[]): TopLevelSpec {
  const values = verdicts
    .filter((v) => v.standardOverFast?.ratio != null)
    .map((v) => {
      const s = v.standardOverFast!;
      return {
        workload: v.workload,
        ratio: s.ratio,
        ciLow: s.ci?.[0] ?? null,
        ciHigh: s.ci?.[1] ?? null,
        label: `${s.ratio!.toFixed(3)}${s.ci ? ` [${s.ci[0].toFixed(2)}–${s.ci[1].toFixed(2)}]` : ''}`,
        labelAt: Math.max(s.ratio!, s.ci?.[1] ?? 0),
      };
    });
  const y = { field: 'workload', type: 'nominal', sort: null, title: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Standard / FAST',
      subtitle:
        'hakmem over hakmem-fast: median of per-round ratios, error bars = 95 % interval (1.0 = the checks cost nothing)',
    },
    width: 520,
    height: { step: 26 },
    data: { values },
    layer: [
      {
        mark: { type: 'point', filled: true, size: 70, color: '#4c78a8' },
        encoding: { y, x: { field: 'ratio', type: 'quantitative', title: 'Standard / FAST', scale: { zero: false } } },
      },
      {
        transform: [{ filter: 'datum.ciLow != null' }],
        mark: { type: 'rule', color: '#222', strokeWidth: 1.5 },
        encoding: { y, x: { field: 'ciLow', type: 'quantitative' }, x2: { field: 'ciHigh' } },
      },
      { mark: { type: 'rule', color: '#c33', strokeDash: [4, 3] }, encoding: { x: { datum: 1 } } },
      {
        mark: { type: 'text', align: 'left', dx: 6 },
        encoding: { y, x: { field: 'labelAt', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
    config,
  } as TopLevelSpec;
}

/** Soak: RSS and throughput per epoch, over elapsed time. */
export function soakChartSpec(epochs: readonly EpochLine[], title: string): TopLevelSpec {
  let t = 0;
  const values = epochs.map((e) => {
    t += e.seconds;
    return { t, rssMiB: e.rssKb / 1024, mops: e.mops };
  });
  const line = (field: string, axisTitle: string, color: string) => ({
    width: 560,
    height: 160,
    mark: { type: 'line', point: true, color },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'elapsed seconds' },
      y: { field, type: 'quantitative', title: axisTitle, scale: { zero: false } },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    vconcat: [line('rssMiB', 'RSS MiB', '#e45756'), line('mops', 'M ops/s', '#4c78a8')],
    config,
  } as TopLevelSpec;
}

/** A file-name-safe form of a workload or allocator name. */
export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}
