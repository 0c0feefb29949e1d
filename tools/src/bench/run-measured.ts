/** Runs one program under hk-run (tools/native/hk-run.c) and collects its output, exit status, wall time and peak RSS. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parseChildReport } from './parse-result.ts';
import { toolsBuildDir, toolsDir } from '../paths.ts';
import type { ChildReport } from '../types.ts';

const source = path.join(toolsDir, 'native', 'hk-run.c');

/** Compiles hk-run into dist/tools/ when it is missing or older than its source; returns its path. */
export async function ensureHkRun(outDir = toolsBuildDir): Promise<string> {
  const exe = path.join(outDir, 'hk-run');
  const fresh = fs.existsSync(exe) && fs.statSync(exe).mtimeMs >= fs.statSync(source).mtimeMs;
  if (!fresh) {
    fs.mkdirSync(outDir, { recursive: true });
    const tmp = `${exe}.${process.pid}.tmp`;
    await execa('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', '-o', tmp, source]);
    fs.renameSync(tmp, exe); // atomic: concurrent test workers never see a half-written binary
  }
  return exe;
}

export interface MeasuredRun {
  report: ChildReport | null;
  stdout: string;
  stderr: string;
}

export interface MeasureOptions {
  preload?: string | null;
  /** Added to this process's environment; an undefined value removes the variable. */
  env?: Record<string, string | undefined>;
  timeoutSeconds?: number;
  /** Called with each stdout line as it arrives (soak epochs). */
  onLine?: (line: string) => void;
}

/** Runs `program args` with the allocator preloaded; never throws for a failing child. */
export async function runMeasured(
  program: string,
  args: readonly string[],
  opts: MeasureOptions = {},
): Promise<MeasuredRun> {
  const hkRun = await ensureHkRun();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-run-'));
  const reportFile = path.join(dir, 'report');
  const argv = ['-o', reportFile];
  if (opts.preload) argv.push('-p', opts.preload);
  if (opts.timeoutSeconds) argv.push('-t', String(opts.timeoutSeconds));
  argv.push('--', program, ...args);
  // hk-run sets LD_PRELOAD in the child only; drop any inherited one so hk-run itself stays on glibc.
  const env: Record<string, string | undefined> = { ...process.env, LD_PRELOAD: undefined, ...opts.env };
  try {
    const child = execa(hkRun, argv, {
      env,
      extendEnv: false,
      reject: false,
      stripFinalNewline: false,
      maxBuffer: 256 * 1024 * 1024,
    });
    if (opts.onLine) {
      let pending = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          opts.onLine!(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
        }
      });
    }
    const r = await child;
    const text = fs.existsSync(reportFile) ? fs.readFileSync(reportFile, 'utf8') : '';
    return { report: parseChildReport(text), stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The last `n` non-empty lines of a text (for failure reports). */
export function tail(text: string, n = 5): string {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .slice(-n)
    .join('\n');
}
