/**
 * `npm run fuzz -- --seconds N`: builds the libFuzzer target (make -C native check-fuzz:
 * native/test/check/fuzz_hak.c with the allocator objects, -fsanitize=fuzzer,address,undefined)
 * and runs it for N seconds on a copy of the committed seed corpus (native/test/check/corpus/ is
 * never modified). A crash leaves its input in the temporary directory, printed with the
 * command that replays it; the exit status is libFuzzer's (0 = nothing found).
 */
import { execa } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distDir, repoRoot } from '../paths.ts';

export const FUZZ_BIN = path.join(distDir, 'native', 'check', 'bin', 'fuzz_hak');
export const FUZZ_CORPUS = path.join(repoRoot, 'native', 'test', 'check', 'corpus');

export interface FuzzOptions {
  seconds: number;
  jobs: number;
  known?: boolean;
  keep?: boolean;
  build: boolean;
}

export async function runFuzz(o: FuzzOptions): Promise<number> {
  if (o.build) await execa('make', ['-C', path.join(repoRoot, 'native'), 'check-fuzz'], { stdio: 'inherit' });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-fuzz-'));
  const corpus = path.join(work, 'corpus');
  fs.cpSync(FUZZ_CORPUS, corpus, { recursive: true });
  const args = [
    `-max_total_time=${o.seconds}`,
    `-artifact_prefix=${work}/`,
    '-print_final_stats=1',
    '-rss_limit_mb=4096',
    '-timeout=20',
    '-max_len=512', // up to 128 operations per input
    ...(o.jobs > 1 ? [`-fork=${o.jobs}`] : []),
    corpus,
  ];
  console.log(`fuzz: ${path.relative(repoRoot, FUZZ_BIN)} ${args.join(' ')}`);
  const r = await execa(FUZZ_BIN, args, {
    reject: false,
    stdio: 'inherit',
    env: o.known ? { FUZZ_HAK_KNOWN: '1' } : {},
  });
  const artifacts = fs.readdirSync(work).filter((f) => /^(crash|leak|timeout|oom|slow-unit)-/.test(f));
  if (artifacts.length) {
    console.log('fuzz: inputs that failed (replay: the binary with the file as its argument):');
    for (const a of artifacts) console.log(`  ${path.relative(repoRoot, FUZZ_BIN)} ${path.join(work, a)}`);
  } else if (!o.keep) {
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(`fuzz: ${r.exitCode === 0 ? 'nothing found' : `exit ${r.exitCode ?? r.signal}`}`);
  return r.exitCode ?? 1;
}
