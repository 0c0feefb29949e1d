import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../paths.ts';
import { readTuneResults, tuneTableFromResults } from './tune-report.ts';

const FILE = 'docs/results/2026-12-07-dd577ff-tune-batch.json';

describe('a tune results file as a table (hakmem table, hakmem figures)', () => {
  it('names its source and gives the search in one row and the verdict in its own words', () => {
    const r = readTuneResults(path.join(repoRoot, FILE))!;
    expect(r).not.toBeNull();
    const text = tuneTableFromResults(r, { source: FILE });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^Source: docs\/results\/2026-12-07-dd577ff-tune-batch\.json · git dd577ff\S* · /);
    expect(lines[0]).toContain('hakmem tune batch, libhakmem.so config ');
    const row = lines.find((l) => l.startsWith('| batch '))!;
    expect(row).toContain(r.verdict.result);
    expect(row).toContain(`${r.candidates.length} (${r.refused.length})`);
    expect(text).toContain(`${r.verdict.summary}.`);
  });

  it('is null for another kind of file and refuses a tune file that breaks its schema', () => {
    expect(readTuneResults(path.join(repoRoot, 'docs/results/2026-12-07-dbcdc24.json'))).toBeNull();
    expect(readTuneResults('/nonexistent/tune.json')).toBeNull();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-tune-table-'));
    try {
      const bad = path.join(dir, 'tune.json');
      const data = JSON.parse(fs.readFileSync(path.join(repoRoot, FILE), 'utf8'));
      delete data.verdict;
      fs.writeFileSync(bad, JSON.stringify(data));
      expect(() => readTuneResults(dir)).toThrow(/not a valid hakmem-tune\/1 file: .*verdict/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
