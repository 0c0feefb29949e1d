// Shared helpers for the native specs (native/test/**/*.test.ts): where the build puts things,
// running a program with or without LD_PRELOAD, reading workload result lines, and a
// cross-file lock so the heavy native specs never run at the same time (vitest runs test
// files in parallel; on a 2-core machine two of these at once would only time out).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The build output; HAKMEM_DIST overrides it (e.g. a private `make -C native DIST=...`). */
export const DIST = process.env.HAKMEM_DIST ? path.resolve(process.env.HAKMEM_DIST) : path.join(ROOT, 'dist', 'native');
export const BIN = path.join(DIST, 'bin');
export const TESTS = path.join(DIST, 'tests');
export const LIBDIR = path.join(DIST, 'lib');

export interface Lib {
  /** build mode, as in the verbose line and hak_build_info */
  mode: 'standard' | 'fast' | 'observe';
  file: string;
  path: string;
}

export const LIBS: Lib[] = [
  { mode: 'standard', file: 'libhakmem.so', path: path.join(LIBDIR, 'libhakmem.so') },
  { mode: 'fast', file: 'libhakmem-fast.so', path: path.join(LIBDIR, 'libhakmem-fast.so') },
  { mode: 'observe', file: 'libhakmem-observe.so', path: path.join(LIBDIR, 'libhakmem-observe.so') },
];

export const libByMode = (mode: Lib['mode']): Lib => {
  const lib = LIBS.find((l) => l.mode === mode);
  if (!lib) throw new Error(`no library for mode ${mode}`);
  return lib;
};

/** Throws (failing the test, never skipping it) when a build product is missing. */
export function need(file: string): string {
  if (!existsSync(file)) {
    throw new Error(
      `missing ${path.relative(ROOT, file)}: build it first with \`npm run build\` ` +
        `(or \`make -C native\` from the repository root)`,
    );
  }
  return file;
}

export const bin = (name: string): string => need(path.join(BIN, name));
export const testBin = (name: string): string => need(path.join(TESTS, name));

export interface RunResult {
  command: string;
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  seconds: number;
}

export interface RunOptions {
  /** absolute path of the library to LD_PRELOAD; undefined = glibc (the control) */
  preload?: string | undefined;
  env?: Record<string, string>;
  timeoutMs?: number;
  cwd?: string;
  input?: string;
}

/** Runs a program (never rejects); the preload applies to it and everything it starts. */
export async function run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const env: Record<string, string> = { ...opts.env };
  if (opts.preload) env.LD_PRELOAD = need(opts.preload);
  const t0 = performance.now();
  const r = await execa(file, args, {
    env,
    extendEnv: true,
    reject: false,
    timeout: opts.timeoutMs ?? 120_000,
    cwd: opts.cwd ?? ROOT,
    input: opts.input,
    maxBuffer: 256 * 1024 * 1024,
    stripFinalNewline: false,
  });
  return {
    command: `${opts.preload ? `LD_PRELOAD=${path.relative(ROOT, opts.preload)} ` : ''}${file} ${args.join(' ')}`,
    exitCode: r.exitCode,
    signal: r.signal,
    timedOut: r.timedOut,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    seconds: (performance.now() - t0) / 1000,
  };
}

/** A message for expect(): the command, how it ended, and the tail of its output. */
export function describeRun(r: RunResult): string {
  const tail = (s: string) => s.split('\n').slice(-25).join('\n');
  const how = r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}`;
  return `${r.command}\n  -> ${how} after ${r.seconds.toFixed(1)} s\n--- stdout (tail)\n${tail(r.stdout)}\n--- stderr (tail)\n${tail(r.stderr)}`;
}

/** Asserts exit 0 (with the output in the message otherwise). */
export function expectOk(r: RunResult): void {
  if (r.exitCode !== 0 || r.timedOut || r.signal) throw new Error(`command failed: ${describeRun(r)}`);
}

/** The result line `<name> ops=<n> seconds=<s> mops=<m> [k=v ...]` of a workload (@hakmem/parse-output);
 * throws, quoting the output, when there is none. */
export { readResultLine } from '@hakmem/parse-output';

// ------------------------------------------------------------------ cross-file lock

const LOCK_DIR = path.join(os.tmpdir(), 'hakmem-native-specs.lock');

function lockHolderAlive(): boolean {
  try {
    const pid = Number(readFileSync(path.join(LOCK_DIR, 'pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but is not ours
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock that serialises the heavy native spec files (a directory created with
 * mkdir, which is atomic; a lock left by a dead process is taken over). Call from
 * beforeAll with a long hook timeout and release it in afterAll.
 */
export async function acquireHeavyLock(maxWaitMs = 900_000): Promise<() => void> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(path.join(LOCK_DIR, 'pid'), String(process.pid));
      let released = false;
      return () => {
        if (!released) rmSync(LOCK_DIR, { recursive: true, force: true });
        released = true;
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // a holder that died (or has not written its pid yet: give it a moment)
    await new Promise((r) => setTimeout(r, 250));
    if (existsSync(LOCK_DIR) && existsSync(path.join(LOCK_DIR, 'pid')) && !lockHolderAlive()) {
      rmSync(LOCK_DIR, { recursive: true, force: true });
    }
    if (Date.now() > deadline) throw new Error(`waited ${maxWaitMs / 1000} s for ${LOCK_DIR}`);
  }
}

/** Used by the specs for very long hooks (waiting for the lock). */
export const LOCK_HOOK_TIMEOUT = 960_000;
