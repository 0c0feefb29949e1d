/**
 * The protocol's interleaved rounds: for each workload, every allocator once per round,
 * in the same order each round, for N rounds (the workload's own `rounds` when it has one,
 * else `rounds`). Every run is recorded, failures included. A real workload's driver runs the
 * measured program itself and reports that program's peak RSS (maxrss_kb on its result line),
 * which is the run's peak RSS rather than the driver's.
 */
import fs from 'node:fs';
import { finiteNumber, parseResultLine } from '@hakmem/parse-output';
import { classifyRun } from './parse-result.ts';
import { runMeasured, tail } from './run-measured.ts';
import type { Allocator, RunRecord, WorkloadRun } from '../types.ts';
import { programOf, workloadLaunch, workloadProgram } from './workloads.ts';

export interface RoundEvent {
  index: number; // runs started so far (0-based)
  total: number;
  workload: string;
  allocator: string;
  round: number; // 1-based
  rounds: number; // of this workload
}

export interface RunRoundsOptions {
  binDir: string;
  workloads: readonly WorkloadRun[];
  allocators: readonly Allocator[];
  /** Rounds of each workload that does not carry its own `rounds`. */
  rounds: number;
  /** The allocators of one workload, when not all of them run it (a peer that cannot finish it). */
  allocatorsFor?: (w: WorkloadRun) => readonly Allocator[];
  timeoutSeconds?: number;
  onStart?: (e: RoundEvent) => void;
  onDone?: (e: RoundEvent, r: RunRecord) => void;
}

export class MissingProgramError extends Error {
  override name = 'MissingProgramError';
}

export async function runRounds(opts: RunRoundsOptions): Promise<RunRecord[]> {
  for (const w of opts.workloads) {
    const exe = workloadProgram(w.name, opts.binDir);
    if (!fs.existsSync(exe))
      throw new MissingProgramError(
        `workload program ${exe} is missing (build it with npm run build, or drop it from --workloads)`,
      );
  }
  const roundsOf = (w: WorkloadRun) => w.rounds ?? opts.rounds;
  const allocatorsOf = (w: WorkloadRun) => opts.allocatorsFor?.(w) ?? opts.allocators;
  const total = opts.workloads.reduce((t, w) => t + roundsOf(w) * allocatorsOf(w).length, 0);
  const runs: RunRecord[] = [];
  let index = 0;
  for (const w of opts.workloads) {
    const rounds = roundsOf(w);
    for (let round = 1; round <= rounds; round++) {
      for (const [order, a] of allocatorsOf(w).entries()) {
        const ev: RoundEvent = { index, total, workload: w.name, allocator: a.name, round, rounds };
        opts.onStart?.(ev);
        const launch = workloadLaunch(w.name, opts.binDir, a);
        const m = await runMeasured(launch.program, w.args, {
          preload: launch.preload,
          env: launch.env,
          timeoutSeconds: opts.timeoutSeconds,
        });
        const result = parseResultLine(m.stdout, programOf(w.name));
        const status = classifyRun(m.report, result);
        const rec: RunRecord = {
          workload: w.name,
          allocator: a.name,
          round,
          order,
          argv: [programOf(w.name), ...w.args],
          status,
          exitCode: m.report?.how === 'exited' ? m.report.code : null,
          signal: m.report && m.report.signal > 0 ? m.report.signal : null,
          wallSeconds: m.report?.wallSeconds ?? null,
          maxRssKb: (status === 'ok' ? finiteNumber(result?.extra.maxrss_kb) : null) ?? m.report?.maxRssKb ?? null,
          result: status === 'ok' ? result : null,
          stderrTail: tail(m.stderr, status === 'ok' ? 3 : 10),
        };
        runs.push(rec);
        index++;
        opts.onDone?.({ ...ev, index }, rec);
      }
    }
  }
  return runs;
}
