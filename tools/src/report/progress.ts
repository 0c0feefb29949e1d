/** Progress while runs go: a live bar on a TTY (cli-progress), plain lines otherwise (CI, pipes). */
import cliProgress from 'cli-progress';
import { fmtMops } from './format-table.ts';
import { describeFailure } from '../bench/parse-result.ts';
import type { RoundEvent } from '../bench/run-rounds.ts';
import type { RunRecord } from '../types.ts';

export interface Progress {
  start(e: RoundEvent): void;
  done(e: RoundEvent, r: RunRecord): void;
  stop(): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(s % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** ETA from the mean time per finished run. */
export function eta(elapsedSeconds: number, finished: number, total: number): number {
  return finished === 0 ? Number.NaN : (elapsedSeconds / finished) * (total - finished);
}

function outcome(r: RunRecord): string {
  return r.status === 'ok'
    ? `${fmtMops(r.result!.mops)} M ops/s`
    : describeFailure(r.status, r.exitCode, r.signal).toUpperCase();
}

export function createProgress(opts: { tty?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? (Boolean(stream.isTTY) && !process.env.CI);
  const t0 = Date.now();
  const elapsed = () => (Date.now() - t0) / 1000;
  if (!tty) {
    return {
      start() {},
      done(e, r) {
        stream.write(
          `[${e.index}/${e.total}] ${e.workload} ${e.allocator} round ${e.round}/${e.rounds}: ${outcome(r)}` +
            ` | elapsed ${formatDuration(elapsed())} eta ${formatDuration(eta(elapsed(), e.index, e.total))}\n`,
        );
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        '{bar} {value}/{total} | {workload} {allocator} round {round} | {last} | elapsed {elapsedText} eta {etaText}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let last = '';
  const payload = (e: RoundEvent) => ({
    workload: e.workload,
    allocator: e.allocator,
    round: `${e.round}/${e.rounds}`,
    last,
    elapsedText: formatDuration(elapsed()),
    etaText: formatDuration(eta(elapsed(), e.index, e.total)),
  });
  return {
    start(e) {
      if (!started) {
        bar.start(e.total, 0, payload(e));
        started = true;
      } else bar.update(payload(e));
    },
    done(e, r) {
      last = `${r.workload}/${r.allocator}: ${outcome(r)}`;
      bar.update(e.index, payload(e));
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
