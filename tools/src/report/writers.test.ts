import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { overviewChartSpec, renderSvg, soakChartSpec, standardOverFastChartSpec, workloadChartSpec } from './chart.ts';
import { fmtRatioCi, matrixTable, summaryTable, verdictTable } from './format-table.ts';
import { benchTableRows, escapeHtml, failureList, mdTableToHtml, renderReportHtml } from './report-html.ts';
import { assertBenchResults } from '../results/results-schema.ts';
import { summarize } from '../results/summarize.ts';
import type { BenchResults, BenchVerdict, RunRecord } from '../types.ts';
import { CSV_COLUMNS, runsToCsv } from '../results/write-csv.ts';
import { createResultsDir, updateLatest, utcStamp } from '../results/write-results.ts';
import { abChartSpec } from '../commands/ab.ts';
import { soakStats } from '../commands/soak.ts';

function run(workload: string, allocator: string, round: number, mops: number | null): RunRecord {
  return {
    workload,
    allocator,
    round,
    order: 0,
    argv: [workload, 'iters=10'],
    status: mops == null ? 'crashed' : 'ok',
    exitCode: mops == null ? null : 0,
    signal: mops == null ? 11 : null,
    wallSeconds: 0.5,
    maxRssKb: 2048,
    result: mops == null ? null : { name: workload, ops: 100, seconds: 1, mops, extra: {} },
    stderrTail: mops == null ? 'Segmentation fault <core>' : '',
  };
}

const runs = [
  run('random_mixed', 'glibc', 1, 50),
  run('random_mixed', 'mimalloc', 1, 70),
  run('random_mixed', 'hakmem', 1, null),
  run('random_mixed', 'glibc', 2, 52),
  run('random_mixed', 'mimalloc', 2, 68),
  run('random_mixed', 'hakmem', 2, 60),
];
const { rows: summary, verdicts } = summarize(runs, ['random_mixed'], ['glibc', 'mimalloc', 'hakmem'], 2);

function fixture(): BenchResults {
  return {
    schema: 'hakmem-bench/3',
    context: {
      date: new Date().toISOString(),
      gitSha: 'abc',
      gitDirty: false,
      hakmem: {
        hakmem: {
          path: '/x/libhakmem.so',
          mode: 'standard',
          profile: 'balanced',
          configHash: '0123456789abcdef',
          boxVersions: 'box-front@0.1.0',
        },
      },
      compiler: 'cc 12',
      cflags: '-O2',
      peers: { libmimalloc2: '2.0.9' },
      cpuModel: 'cpu',
      nproc: 2,
      memTotalKb: 1,
      kernel: 'Linux',
      node: 'v20',
    },
    config: {
      rounds: 2,
      mtRounds: 9,
      quick: false,
      baseline: 'mimalloc',
      workloads: [{ name: 'random_mixed', args: [], rounds: 2, threaded: false }],
      allocators: [
        { name: 'glibc', preload: null },
        { name: 'mimalloc', preload: '/m.so' },
        { name: 'hakmem', preload: '/x/libhakmem.so' },
      ],
      missingPeers: ['tcmalloc'],
    },
    runs,
    summary,
    verdicts,
  };
}

function wellFormedSvg(svg: string): void {
  expect(XMLValidator.validate(svg)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false }).parse(svg);
  expect(doc.svg).toBeDefined();
  expect(doc.svg['@_xmlns']).toBe('http://www.w3.org/2000/svg');
}

describe('results.json schema', () => {
  it('accepts a complete document with a crashed run', () => {
    expect(() => assertBenchResults(JSON.parse(JSON.stringify(fixture())))).not.toThrow();
  });
  it('rejects a summary without intervals and verdicts, and a /1 or /2 document', () => {
    const bad = fixture();
    delete (bad.summary[0] as unknown as Record<string, unknown>).ratioToMimallocCi;
    expect(() => assertBenchResults(bad)).toThrow(/ratioToMimallocCi/);
    const bad2 = fixture();
    (bad2.summary[0] as unknown as Record<string, unknown>).verdict = 'winner';
    expect(() => assertBenchResults(bad2)).toThrow(/schema/);
    const bad3 = fixture() as unknown as Record<string, unknown>;
    delete bad3.verdicts;
    expect(() => assertBenchResults(bad3)).toThrow(/verdicts/);
    const bad4 = fixture();
    delete (bad4.verdicts[0] as unknown as Record<string, unknown>).standardOverFast;
    expect(() => assertBenchResults(bad4)).toThrow(/standardOverFast/);
    for (const old of ['hakmem-bench/1', 'hakmem-bench/2'])
      expect(() => assertBenchResults({ ...fixture(), schema: old })).toThrow(/hakmem-bench\/3/);
  });
  it('rejects missing fields and unknown statuses', () => {
    const bad = fixture() as unknown as Record<string, unknown>;
    delete bad.context;
    expect(() => assertBenchResults(bad)).toThrow(/context/);
    const bad2 = fixture();
    (bad2.runs[0] as unknown as Record<string, unknown>).status = 'dropped';
    expect(() => assertBenchResults(bad2)).toThrow(/schema/);
  });
});

describe('results.csv', () => {
  it('has the header and one row per run, failures included', () => {
    const csv = runsToCsv(runs);
    const [head] = csv.split('\n');
    expect(head).toBe(CSV_COLUMNS.join(','));
    const rows = parseCsv(csv, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(6);
    expect(rows[2]).toMatchObject({ allocator: 'hakmem', status: 'crashed', signal: '11', mops: '' });
    expect(rows[0]).toMatchObject({ workload: 'random_mixed', mops: '50', args: 'iters=10' });
  });
});

describe('Markdown tables', () => {
  it('renders every row, the verdicts, the ratio intervals and failures', () => {
    const md = summaryTable(summary, verdicts);
    const lines = md.split('\n');
    expect(lines[0]).toMatch(
      /^\| workload +\| allocator +\| verdict +\| M ops\/s \(median\) +\| +CV +\| vs mimalloc \[95% CI\] +\| vs glibc \[95% CI\]/,
    );
    expect(lines[1]).toMatch(/^\| :-+ \|/);
    expect(lines).toHaveLength(2 + 3);
    // round 2 only for hakmem: one paired round, no interval, so no verdict at all and no bold
    expect(md).toMatch(/\| random_mixed +\| hakmem +\| +\| +60\.00 \| +– \| +0\.882 \[–\] \|/);
    expect(lines[3]).toMatch(
      /\| mimalloc +\| +\| +69\.00 \|.*\| +1\.000 \[1\.00–1\.00\] \| +1\.354 \[\d\.\d\d–\d\.\d\d\] \|/,
    );
    expect(md).not.toMatch(/★|tie|behind|\*\*/);
    expect(md).toContain('1/2 CRASHED');
    expect(md).toContain('2 ok');
    // a verdict: on the hakmem build's row, both compared medians in bold
    const judged = [{ ...verdicts[0]!, verdict: 'best' as const, ci: [1.1, 1.2] as [number, number] }];
    const marked = summary.map((r) => ({ ...r, verdict: r.allocator === 'hakmem' ? ('best' as const) : null }));
    expect(summaryTable(marked, judged)).toMatch(/\| hakmem +\| +★ +\| +\*\*60\.00\*\* \|/);
    expect(summaryTable(marked, judged)).toMatch(/\| mimalloc +\| +\| +\*\*69\.00\*\* \|/);
    expect(summaryTable(marked, judged)).toMatch(/\| glibc +\| +\| +51\.00 \|/);
    expect(matrixTable(marked, judged)).toContain('**60.00** ★');
    const behind = summary.map((r) => ({ ...r, verdict: r.allocator === 'hakmem' ? ('behind' as const) : null }));
    expect(summaryTable(behind)).toMatch(/\| hakmem +\| +behind +\|/);
    expect(matrixTable(behind)).toContain('60.00 (behind)');
  });
  it('prints one verdict per workload, with Standard / FAST as its own column', () => {
    const v = {
      workload: 'random_mixed',
      hakmem: 'hakmem-fast',
      peer: 'tcmalloc',
      ratio: 1.032,
      ci: [0.87, 1.24] as [number, number],
      n: 9,
      verdict: 'tie' as const,
      standardOverFast: { ratio: 0.921, ci: [0.88, 1.01] as [number, number], n: 9 },
    };
    const md = verdictTable([v, { ...v, workload: 'xthread', verdict: null, ci: null, standardOverFast: null }]);
    expect(md.split('\n')[0]).toMatch(
      /^\| workload +\| verdict +\| best hakmem build +\| best peer +\| hakmem \/ peer \[95% CI\] +\| Standard \/ FAST \[95% CI\] +\|$/,
    );
    expect(md).toMatch(
      /\| random_mixed +\| +tie +\| hakmem-fast +\| tcmalloc +\| +1\.032 \[0\.87–1\.24\] \| +0\.921 \[0\.88–1\.01\] \|/,
    );
    expect(md).toMatch(/\| xthread +\| +\| hakmem-fast +\| tcmalloc +\| +1\.032 \[–\] \| +– \|/);
    const matrix = matrixTable(summary, [v]);
    expect(matrix.split('\n')[0]).toMatch(/\| +Standard \/ FAST \|$/);
    expect(matrix).toMatch(/\| 0\.921 \[0\.88–1\.01\] \|$/m);
  });
  it('formats ratios with their intervals', () => {
    expect(fmtRatioCi(1.0444, [0.9812, 1.1123])).toBe('1.044 [0.98–1.11]');
    expect(fmtRatioCi(1.0444, null)).toBe('1.044 [–]');
    expect(fmtRatioCi(null, null)).toBe('–');
  });
});

describe('SVG charts', () => {
  it('renders well-formed SVG for a workload, the overview, A/B and soak', async () => {
    const w = await renderSvg(workloadChartSpec(summary, 'random_mixed', 'mimalloc', verdicts));
    wellFormedSvg(w);
    expect(w).toContain('random_mixed');
    wellFormedSvg(await renderSvg(overviewChartSpec(summary, 'glibc')));
    const sf = await renderSvg(
      standardOverFastChartSpec([{ ...verdicts[0]!, standardOverFast: { ratio: 0.95, ci: [0.9, 1.01], n: 9 } }]),
    );
    wellFormedSvg(sf);
    expect(sf).toContain('Standard / FAST');
    expect(sf).toContain('0.950 [0.90–1.01]');
    wellFormedSvg(
      await renderSvg(
        abChartSpec(
          [
            {
              workload: 'tiny_hot',
              comparison: {
                n: 3,
                meanA: 1,
                meanB: 1.1,
                medianA: 1,
                medianB: 1.1,
                deltaPct: 10,
                ciLowPct: 5,
                ciHighPct: 15,
              },
              verdict: 'GO',
              failuresA: 0,
              failuresB: 0,
            },
          ],
          1,
        ),
      ),
    );
    wellFormedSvg(
      await renderSvg(
        soakChartSpec(
          [
            { epoch: 1, ops: 10, seconds: 1, mops: 1e-5, rssKb: 1000 },
            { epoch: 2, ops: 12, seconds: 1, mops: 1.2e-5, rssKb: 1100 },
          ],
          'soak',
        ),
      ),
    );
  });
});

describe('report.html', () => {
  it('is self-contained and escapes what it shows', async () => {
    const svg = await renderSvg(workloadChartSpec(summary, 'random_mixed', 'mimalloc'));
    const marked = summary.map((r) => ({
      ...r,
      verdict: (r.allocator === 'hakmem' ? 'tie' : null) as BenchVerdict | null,
    }));
    const judged = [{ ...verdicts[0]!, verdict: 'tie' as const, ratio: 1.1, ci: [0.9, 1.3] as [number, number], n: 9 }];
    const html = renderReportHtml({
      title: 'bench <test>',
      intro: ['a & b'],
      table: benchTableRows(marked, judged),
      charts: [{ name: 'chart-random_mixed.svg', svg }],
      context: fixture().context as unknown as Record<string, unknown>,
      failures: failureList(runs),
    });
    expect(html).toContain('<title>bench &lt;test&gt;</title>');
    expect(html).toContain('<table id="results">');
    expect(html.match(/<tr class="best">/g)).toBeNull();
    expect(html.match(/<tr class="tie">/g)).toHaveLength(1);
    expect(html).toContain('title="hakmem / mimalloc (best peer) per round: 1.100 [0.90–1.30] over 9 paired round(s)"');
    expect(
      renderReportHtml({
        title: 't',
        intro: [],
        table: benchTableRows(
          marked.map((r) => ({ ...r, verdict: r.verdict && ('behind' as const) })),
          judged,
        ),
        charts: [],
        context: {},
      }).match(/<tr class="behind">/g),
    ).toHaveLength(1);
    expect(html).toContain('0.882 [–]');
    expect(html).toContain('Segmentation fault &lt;core&gt;');
    expect(html).toContain('<svg');
    expect(html).toContain('hakmem.hakmem.configHash');
    expect(html).not.toMatch(/<script|<link|src="http|url\(http/);
    expect(escapeHtml(`<a href="x">'`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;');
  });
});

describe('mdTableToHtml', () => {
  it('turns a markdown-table string into an HTML table, escaped', () => {
    const html = mdTableToHtml('| a | b |\n| :- | -: |\n| x<y | 2 |\n');
    expect(html).toBe(
      '<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>x&lt;y</td><td>2</td></tr></tbody></table>',
    );
  });
});

describe('results directory', () => {
  it('creates timestamped directories and points latest at the newest', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-res-'));
    const d = new Date('2026-11-26T09:41:07.123Z');
    expect(utcStamp(d)).toBe('2026-11-26T09-41-07Z');
    const a = createResultsDir(root, '', d);
    const b = createResultsDir(root, '', d);
    expect(path.basename(b)).toBe('2026-11-26T09-41-07Z-2');
    fs.writeFileSync(path.join(b, 'x'), '1');
    updateLatest(root, a);
    const link = updateLatest(root, b);
    expect(fs.readFileSync(path.join(link, 'x'), 'utf8')).toBe('1');
  });
});

describe('soak statistics', () => {
  it('computes drifts, CV and ns/op percentiles', () => {
    const s = soakStats([
      { epoch: 1, ops: 100e6, seconds: 1, mops: 100, rssKb: 2000 },
      { epoch: 2, ops: 90e6, seconds: 1, mops: 90, rssKb: 2100 },
      { epoch: 3, ops: 80e6, seconds: 1, mops: 80, rssKb: 2200 },
    ]);
    expect(s.rssDrift).toBeCloseTo(0.1, 10);
    expect(s.throughputDrift).toBeCloseTo(-0.2, 10);
    expect(s.mopsMedian).toBe(90);
    expect(s.nsPerOp!.p50).toBeCloseTo(1e9 / 90e6, 6);
    expect(s.nsPerOp!.p999).toBeLessThanOrEqual(12.5 + 1e-9);
    expect(soakStats([]).rssDrift).toBeNull();
  });
});
