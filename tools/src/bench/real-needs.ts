/**
 * What each real workload (docs/real-workloads.md) needs installed: a command on PATH or a
 * file, and the Debian package that has it. workloads.ts skips a workload that lacks one, with
 * one line naming the package; prereqs.ts makes `npm run setup` install them all. A module of
 * its own so that both can import it (prereqs.ts is imported by workloads.ts).
 */
import type { Probe } from './prereqs.ts';

export interface RealNeed {
  probe: Probe;
  pkg: string;
}

/** The PDF manual that Debian's ghostscript-doc ships, which the gs workload renders after its own pages. */
export const GS_MANUAL = '/usr/share/doc/ghostscript/GS9_Color_Management.pdf';

const cmd = (name: string, pkg: string): RealNeed => ({ probe: { cmd: name }, pkg });

export const REAL_NEEDS = {
  redis: [cmd('redis-server', 'redis-server'), cmd('redis-benchmark', 'redis-tools'), cmd('redis-cli', 'redis-tools')],
  sqlite: [cmd('sqlite3', 'sqlite3')],
  lua: [cmd('lua5.4', 'lua5.4')],
  z3: [cmd('z3', 'z3')],
  gs: [cmd('gs', 'ghostscript'), { probe: { file: GS_MANUAL }, pkg: 'ghostscript-doc' }],
} as const satisfies Record<string, readonly RealNeed[]>;
