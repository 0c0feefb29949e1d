/** `hakmem peers`: installs Debian's mimalloc, jemalloc and tcmalloc when it can, else says how. */
import { execa } from 'execa';
import { PEERS, findPeer } from './find-allocators.ts';

export interface PeersOutcome {
  installed: string[];
  alreadyPresent: string[];
  /** The command to run by hand when this process could not install. */
  command: string | null;
  error?: string;
}

export function peerInstallCommand(pkgs: readonly string[]): string {
  return `sudo apt-get update && sudo apt-get install -y ${pkgs.join(' ')}`;
}

async function hasAptGet(): Promise<boolean> {
  const r = await execa('sh', ['-c', 'command -v apt-get'], { reject: false });
  return r.exitCode === 0;
}

/** Installs the missing peers (root + apt-get), or returns the exact command for a person to run. */
export async function installPeers(log: (line: string) => void = console.log): Promise<PeersOutcome> {
  const missing = Object.entries(PEERS).filter(([name]) => !findPeer(name));
  const alreadyPresent = Object.keys(PEERS).filter((name) => findPeer(name));
  for (const name of alreadyPresent) log(`${name}: ${findPeer(name)}`);
  if (missing.length === 0) return { installed: [], alreadyPresent, command: null };
  const pkgs = missing.map(([, p]) => p.pkg);
  const command = peerInstallCommand(pkgs);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !(await hasAptGet())) {
    log(`missing peers: ${missing.map(([n]) => n).join(', ')}; install them with:\n  ${command}`);
    return { installed: [], alreadyPresent, command };
  }
  log(`installing ${pkgs.join(' ')} with apt-get ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = await execa('apt-get', ['update'], { env, reject: false, stdio: 'inherit' });
  const install = update.exitCode === 0
    ? await execa('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { env, reject: false, stdio: 'inherit' })
    : update;
  if (install.exitCode !== 0) {
    const error = `apt-get exited with ${install.exitCode}`;
    log(`${error}; run by hand:\n  ${command}`);
    return { installed: [], alreadyPresent, command, error };
  }
  const installed = missing.map(([n]) => n).filter((n) => findPeer(n));
  for (const n of installed) log(`${n}: ${findPeer(n)}`);
  return { installed, alreadyPresent, command: null };
}
