/**
 * `npm run setup` (`hakmem setup`): installs the missing prerequisites (prereqs.ts) with apt-get
 * when running as root, else prints the one command a person runs. Only what is missing is
 * installed: a package counts as present when its probes succeed (a command on PATH, whatever
 * installed it) or, failing that, when dpkg-query says it is installed. A second run finds
 * everything and makes no network call.
 */
import { execa } from 'execa';
import {
  PREREQS,
  type Missing,
  type Prereq,
  type ProbeEnv,
  defaultProbeEnv,
  describeMissing,
  findMissing,
} from '../bench/prereqs.ts';

export interface SetupOptions {
  prereqs?: readonly Prereq[];
  env?: ProbeEnv;
  /** Defaults to process.getuid() === 0. */
  isRoot?: boolean;
  log?: (line: string) => void;
  /** Runs a command with inherited output and returns its exit code (tests inject a fake). */
  exec?: (file: string, args: string[]) => Promise<number>;
  /** The packages dpkg-query says are installed, out of pkgs (tests inject a fake). */
  dpkgInstalled?: (pkgs: string[]) => Promise<Set<string>>;
  /** Whether apt-get is on PATH. */
  hasAptGet?: () => Promise<boolean>;
}

export interface SetupOutcome {
  /** present: nothing to do; installed: apt-get ran and everything is present now;
   *  needs-root: printed the command to run; failed: apt-get failed or something is still missing. */
  status: 'present' | 'installed' | 'needs-root' | 'failed';
  /** The packages that were (or are to be) installed. */
  packages: string[];
  /** The command for a person to run, when this process could not install. */
  command: string | null;
  error?: string;
}

export function sudoInstallCommand(pkgs: readonly string[]): string {
  return `sudo apt-get update && sudo apt-get install -y ${pkgs.join(' ')}`;
}

async function realExec(file: string, args: string[]): Promise<number> {
  const r = await execa(file, args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    reject: false,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return r.exitCode ?? 1;
}

async function realDpkgInstalled(pkgs: string[]): Promise<Set<string>> {
  const r = await execa('dpkg-query', ['-W', '-f=${Package} ${Status}\\n', ...pkgs], { reject: false });
  const out = new Set<string>();
  for (const line of String(r.stdout ?? '').split('\n')) {
    const [pkg, ...status] = line.trim().split(/\s+/);
    if (pkg && status.join(' ') === 'install ok installed') out.add(pkg.replace(/:.*$/, ''));
  }
  return out;
}

async function realHasAptGet(): Promise<boolean> {
  const r = await execa('sh', ['-c', 'command -v apt-get'], { reject: false });
  return r.exitCode === 0;
}

export async function runSetup(opts: SetupOptions = {}): Promise<SetupOutcome> {
  const prereqs = opts.prereqs ?? PREREQS;
  const env = opts.env ?? defaultProbeEnv();
  const log = opts.log ?? console.log;
  const isRoot = opts.isRoot ?? (typeof process.getuid === 'function' && process.getuid() === 0);
  const exec = opts.exec ?? realExec;

  const missing = findMissing(prereqs, env);
  if (missing.length === 0) {
    log(`setup: all ${prereqs.length} prerequisites present`);
    return { status: 'present', packages: [], command: null };
  }
  // A failed probe on a package dpkg calls installed (a broken or diverted install) is not
  // something apt-get install fixes; it is reported after the install instead.
  const installed = await (opts.dpkgInstalled ?? realDpkgInstalled)(missing.map((m) => m.prereq.pkg));
  const toInstall = missing.map((m) => m.prereq.pkg).filter((p) => !installed.has(p));
  const command = sudoInstallCommand(toInstall);

  if (toInstall.length) {
    if (!isRoot) {
      log(command);
      return { status: 'needs-root', packages: toInstall, command };
    }
    if (!(await (opts.hasAptGet ?? realHasAptGet)())) {
      const error = `apt-get not found; install these Debian packages (or their equivalents): ${toInstall.join(' ')}`;
      log(`setup: ${error}`);
      return { status: 'failed', packages: toInstall, command, error };
    }
    log(`setup: installing ${toInstall.join(' ')}`);
    const update = await exec('apt-get', ['update', '-q']);
    const code =
      update === 0 ? await exec('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...toInstall]) : update;
    if (code !== 0) {
      const error = `apt-get exited with ${code}`;
      log(`setup: ${error}; run by hand: ${command}`);
      return { status: 'failed', packages: toInstall, command, error };
    }
  }
  const still: Missing[] = findMissing(prereqs, env);
  if (still.length) {
    const pkgs = still.map((m) => m.prereq.pkg).join(' ');
    const error = `still missing: ${still.map(describeMissing).join(', ')} (reinstall with: sudo apt-get install --reinstall -y ${pkgs})`;
    log(`setup: ${error}`);
    return { status: 'failed', packages: toInstall, command: null, error };
  }
  log(`setup: installed ${toInstall.join(' ')}; all ${prereqs.length} prerequisites present`);
  return { status: 'installed', packages: toInstall, command: null };
}
