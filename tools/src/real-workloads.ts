/**
 * Which workloads can run here: a real workload (docs/real-workloads.md) whose program is not
 * installed is skipped with one line naming its Debian package, before anything runs, never a
 * failure deep in the run. Apart from workloads.ts so that it may import prereqs.ts's probes
 * (find-allocators.ts, which prereqs.ts needs, imports workloads.ts).
 */
import { defaultProbeEnv, probeOk, type ProbeEnv } from './prereqs.ts';
import { UsageError, type WorkloadSpec } from './workloads.ts';

/** The first thing a real workload needs that is missing, as the line that skips it; null when all is there. */
export function missingNeed(w: WorkloadSpec, env: ProbeEnv = defaultProbeEnv()): string | null {
  const need = w.real?.needs.find((n) => !probeOk(n.probe, env));
  if (!need) return null;
  const what = 'cmd' in need.probe ? need.probe.cmd : 'file' in need.probe ? need.probe.file : need.probe.lib;
  return `skipping ${w.name}: ${what} not found (Debian package ${need.pkg}; npm run setup installs it)`;
}

/**
 * The workloads that can run here: a real workload whose program is not installed is left out
 * with one line through `log`. Throws a UsageError when nothing is left.
 */
export function presentWorkloads(
  specs: readonly WorkloadSpec[],
  log: (line: string) => void,
  env: ProbeEnv = defaultProbeEnv(),
): WorkloadSpec[] {
  const present = specs.filter((w) => {
    const line = missingNeed(w, env);
    if (line) log(line);
    return !line;
  });
  if (specs.length && !present.length)
    throw new UsageError(`no workload left to run: ${specs.map((w) => w.name).join(', ')} cannot run here`);
  return present;
}
