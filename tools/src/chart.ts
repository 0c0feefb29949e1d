/** SVG charts rendered in Node by vega + vega-lite (headless, no browser, no network). */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { EpochLine, SummaryRow } from './types.ts';

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

const config = { font: 'sans-serif', view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 } };

/** One workload: a bar per allocator, throughput relative to the baseline (1.0 = baseline). */
export function workloadChartSpec(rows: readonly SummaryRow[], workload: string, baseline: string): TopLevelSpec {
  const values = rows
    .filter((r) => r.workload === workload)
    .map((r) => {
      const v = normalised(r, rows, baseline);
      const label = v == null ? (r.failureKinds.join('+').toUpperCase() || 'n/a') : `${v.toFixed(2)}× (${r.medianMops!.toFixed(1)} M/s)`;
      return { allocator: r.allocator, value: v ?? 0, label, best: r.best };
    });
  const y = { field: 'allocator', type: 'nominal', sort: null, title: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: workload, subtitle: `throughput relative to ${baseline} (median of per-round ratios; higher is better)` },
    width: 520,
    height: { step: 28 },
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y,
          x: { field: 'value', type: 'quantitative', title: `× ${baseline}` },
          color: { condition: { test: 'datum.best', value: '#2f7d32' }, value: '#4c78a8' },
        },
      },
      { mark: { type: 'rule', color: '#c33', strokeDash: [4, 3] }, encoding: { x: { datum: 1 } } },
      { mark: { type: 'text', align: 'left', dx: 4 }, encoding: { y, x: { field: 'value', type: 'quantitative' }, text: { field: 'label' } } },
    ],
    config,
  } as TopLevelSpec;
}

/** Every workload side by side: grouped bars of throughput relative to the baseline. */
export function overviewChartSpec(rows: readonly SummaryRow[], baseline: string): TopLevelSpec {
  const values = rows
    .map((r) => ({ workload: r.workload, allocator: r.allocator, value: normalised(r, rows, baseline) }))
    .filter((v) => v.value != null);
  const nw = new Set(rows.map((r) => r.workload)).size;
  const na = new Set(rows.map((r) => r.allocator)).size;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'hakmem bench overview', subtitle: `throughput relative to ${baseline}, per workload (higher is better)` },
    width: Math.max(360, nw * (na * 16 + 24)),
    height: 260,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'workload', type: 'nominal', sort: null, title: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'allocator', sort: null },
      y: { field: 'value', type: 'quantitative', title: `× ${baseline}` },
      color: { field: 'allocator', type: 'nominal', sort: null, scale: { scheme: 'tableau10' } },
      tooltip: [{ field: 'allocator' }, { field: 'value', format: '.3f' }],
    },
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
