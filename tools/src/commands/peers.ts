/**
 * `hakmem peers`: `hakmem setup` restricted to Debian's mimalloc, jemalloc, tcmalloc and Scudo (the
 * rows of the prerequisites table that ship them): installs them when it can, else says how.
 */
import { PEERS, findPeer } from '../bench/find-allocators.ts';
import { PREREQS } from '../bench/prereqs.ts';
import { runSetup, sudoInstallCommand } from './setup.ts';

export interface PeersOutcome {
  installed: string[];
  alreadyPresent: string[];
  /** The command to run by hand when this process could not install. */
  command: string | null;
  error?: string;
}

export function peerInstallCommand(pkgs: readonly string[]): string {
  return sudoInstallCommand(pkgs);
}

/** Installs the missing peers (root + apt-get), or returns the exact command for a person to run. */
export async function installPeers(log: (line: string) => void = console.log): Promise<PeersOutcome> {
  const peerPkgs = new Set(Object.values(PEERS).map((p) => p.pkg));
  const alreadyPresent = Object.keys(PEERS).filter((name) => findPeer(name));
  const r = await runSetup({ prereqs: PREREQS.filter((p) => peerPkgs.has(p.pkg)), log });
  const installed = Object.keys(PEERS).filter((n) => !alreadyPresent.includes(n) && findPeer(n));
  for (const name of Object.keys(PEERS)) if (findPeer(name)) log(`${name}: ${findPeer(name)}`);
  return { installed, alreadyPresent, command: r.command, ...(r.error ? { error: r.error } : {}) };
}
