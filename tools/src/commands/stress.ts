/**
 * `npm run stress -- --minutes N --seed S`: the seeded stress test (native/test/stress/stress.c)
 * run again and again with successive seeds under each hakmem library (LD_PRELOAD) and
 * glibc as the control, for N minutes; prints every failing seed with the command that
 * replays it. Builds what it needs first (make -C native libs check-stress).
 *
 * Each run: a random thread count (1, 2 or 4), thread lifetimes (so heaps are abandoned
 * and adopted) and a few seconds of operations. threads=1 runs replay exactly; threaded
 * runs replay the same per-thread operation streams (interleavings differ).
 */
import { execa } from 'execa';
import path from 'node:path';
import { defaultLibDir, distDir, repoRoot } from '../paths.ts';

export interface StressTarget {
  name: string;
  preload: string | undefined;
}

export const STRESS_BIN = path.join(distDir, 'native', 'check', 'bin', 'stress');

export const stressTargets = (libDir = defaultLibDir): StressTarget[] => [
  { name: 'glibc', preload: undefined },
  { name: 'libhakmem', preload: path.join(libDir, 'libhakmem.so') },
  { name: 'libhakmem-fast', preload: path.join(libDir, 'libhakmem-fast.so') },
  { name: 'libhakmem-observe', preload: path.join(libDir, 'libhakmem-observe.so') },
];

/** The arguments of one run for a seed: derived from the seed, so a failure replays. */
export function stressArgs(seed: number, seconds: number, extra: string[] = []): string[] {
  const threads = [1, 2, 4][seed % 3]!;
  const life = threads === 1 ? 0 : [0, 2000, 20000][Math.floor(seed / 3) % 3]!;
  return [`seed=${seed}`, `threads=${threads}`, `life=${life}`, `seconds=${seconds}`, 'ops=100000000', ...extra];
}

export interface StressFailure {
  target: string;
  seed: number;
  command: string;
  how: string;
  detail: string;
}

export interface StressOptions {
  minutes: number;
  seed: number;
  seconds: number;
  only?: string[];
  known?: boolean;
  build: boolean;
}

export async function runStress(o: StressOptions): Promise<number> {
  if (o.build) {
    await execa('make', ['-C', path.join(repoRoot, 'native'), 'libs', 'check-stress'], { stdio: 'inherit' });
  }
  const only = o.only;
  const targets = stressTargets().filter((t) => !only || only.includes(t.name));
  const deadline = Date.now() + o.minutes * 60_000;
  const runSeconds = o.seconds;
  const extra = o.known ? ['known=1'] : [];
  const failures: StressFailure[] = [];
  let seed = o.seed;
  let runs = 0;
  console.log(`stress: ${targets.map((t) => t.name).join(', ')} for ${o.minutes} min from seed ${seed}`);
  while (Date.now() < deadline) {
    for (const t of targets) {
      const args = stressArgs(seed, runSeconds, extra);
      const command = `${t.preload ? `LD_PRELOAD=${path.relative(repoRoot, t.preload)} ` : ''}${path.relative(repoRoot, STRESS_BIN)} ${args.join(' ')}`;
      const r = await execa(STRESS_BIN, args, {
        reject: false,
        env: t.preload ? { LD_PRELOAD: t.preload } : {},
        timeout: (runSeconds + 60) * 1000,
        cwd: repoRoot,
      });
      runs++;
      if (r.exitCode !== 0 || r.timedOut || r.signal) {
        const how = r.timedOut ? 'hung (timed out)' : r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}`;
        const detail = String(r.stderr)
          .split('\n')
          .filter((l) => l.includes('FAIL') || l.includes('runtime error'))
          .slice(0, 3)
          .join(' | ');
        failures.push({ target: t.name, seed, command, how, detail });
        console.log(`FAIL ${t.name} seed=${seed}: ${how} ${detail}\n  replay: ${command}`);
      }
    }
    seed++;
  }
  console.log(`stress: ${runs} runs, ${failures.length} failed`);
  if (failures.length) {
    console.log('failing seeds (replay with the command):');
    for (const f of failures) console.log(`  ${f.target} seed=${f.seed} ${f.how}: ${f.command}`);
  }
  return failures.length ? 1 : 0;
}
