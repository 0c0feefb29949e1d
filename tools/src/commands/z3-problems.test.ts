// The z3 workload's problems: the committed files are what the generator writes, and each
// declares the answer it was built to have.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitmix64, staleZ3Files, Z3_PROBLEMS_DIR, z3Problems } from './z3-problems.ts';

describe('z3 problems', () => {
  it('the committed files are the generator output (npx hakmem z3-problems rewrites them)', () => {
    expect(staleZ3Files()).toEqual([]);
    expect(fs.readdirSync(Z3_PROBLEMS_DIR).sort()).toEqual(z3Problems().map((p) => p.file));
  });

  it('a changed, missing or extra file is stale', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-z3-'));
    try {
      fs.cpSync(Z3_PROBLEMS_DIR, dir, { recursive: true });
      const [first, second] = z3Problems();
      fs.appendFileSync(path.join(dir, first!.file), '(check-sat)\n');
      fs.rmSync(path.join(dir, second!.file));
      fs.writeFileSync(path.join(dir, 'extra.smt2'), '');
      expect(staleZ3Files(dir)).toEqual([first!.file, second!.file, 'extra.smt2'].sort());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every problem has one check-sat and declares sat or unsat; both kinds are there', () => {
    const problems = z3Problems();
    expect(problems.length).toBe(20);
    for (const p of problems) {
      expect(p.text.match(/\(check-sat\)/g), p.file).toHaveLength(1);
      expect(p.text).toContain(`(set-info :status ${p.status})\n`);
    }
    expect(new Set(problems.map((p) => p.status))).toEqual(new Set(['sat', 'unsat']));
  });

  it('splitmix64 gives the reference sequence (seed 0: 0xe220a8397b1dcdaf, ...)', () => {
    const next = splitmix64(0n);
    expect(next()).toBe(0xe220a8397b1dcdafn);
    expect(next()).toBe(0x6e789e6aa1b965f4n);
  });
});
