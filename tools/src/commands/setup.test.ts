import { describe, expect, it } from 'vitest';
import { PREREQS } from '../bench/prereqs.ts';
import { fakeMachine } from '../bench/prereqs-fixture.ts';
import { runSetup } from './setup.ts';

/** runSetup on a fake machine, with apt-get and dpkg-query replaced by recorders. */
async function setupOn(
  lacking: string[],
  o: { isRoot: boolean; dpkgSays?: string[]; aptInstalls?: boolean; aptExit?: number },
) {
  const machine = fakeMachine(lacking);
  const lines: string[] = [];
  const calls: string[] = [];
  let dpkgAsked: string[] | null = null;
  try {
    const outcome = await runSetup({
      env: machine.env,
      isRoot: o.isRoot,
      log: (l) => lines.push(l),
      hasAptGet: async () => true,
      dpkgInstalled: async (pkgs) => {
        dpkgAsked = pkgs;
        return new Set(o.dpkgSays ?? []);
      },
      exec: async (file, args) => {
        calls.push([file, ...args].join(' '));
        if (args[0] === 'install' && o.aptInstalls !== false)
          for (const p of args.filter((a) => !a.startsWith('-')).slice(1)) machine.install(p);
        return args[0] === 'install' ? (o.aptExit ?? 0) : 0;
      },
    });
    return { outcome, lines, calls, dpkgAsked };
  } finally {
    machine.cleanup();
  }
}

describe('setup', () => {
  it('not root: prints only the sudo line for what is missing, exits non-zero, runs nothing', async () => {
    const r = await setupOn(['valgrind', 'chromium'], { isRoot: false });
    expect(r.lines).toEqual(['sudo apt-get update && sudo apt-get install -y valgrind chromium']);
    expect(r.outcome.status).toBe('needs-root');
    expect(r.calls).toEqual([]);
  });

  it('as root: apt-get update, then installs only the missing packages without recommends', async () => {
    const r = await setupOn(['strace', 'libjemalloc2'], { isRoot: true });
    expect(r.calls).toEqual(['apt-get update -q', 'apt-get install -y -q --no-install-recommends strace libjemalloc2']);
    expect(r.outcome).toMatchObject({ status: 'installed', packages: ['strace', 'libjemalloc2'] });
    expect(r.lines.at(-1)).toBe(`setup: installed strace libjemalloc2; all ${PREREQS.length} prerequisites present`);
  });

  it('a second run finds everything: no dpkg-query, no apt-get, one line', async () => {
    const r = await setupOn([], { isRoot: true });
    expect(r.lines).toEqual([`setup: all ${PREREQS.length} prerequisites present`]);
    expect(r.outcome.status).toBe('present');
    expect(r.calls).toEqual([]);
    expect(r.dpkgAsked).toBeNull();
  });

  it('does not reinstall what dpkg says is installed; reports it as still missing', async () => {
    const r = await setupOn(['gzip', 'valgrind'], { isRoot: true, dpkgSays: ['gzip'] });
    expect(r.calls).toEqual(['apt-get update -q', 'apt-get install -y -q --no-install-recommends valgrind']);
    expect(r.outcome.status).toBe('failed');
    expect(r.lines.at(-1)).toMatch(
      /^setup: still missing: gzip \(reinstall with: sudo apt-get install --reinstall -y gzip\)$/,
    );
  });

  it('as root: an apt-get failure fails with the command to run by hand', async () => {
    const r = await setupOn(['valgrind'], { isRoot: true, aptExit: 100, aptInstalls: false });
    expect(r.outcome).toMatchObject({ status: 'failed', error: 'apt-get exited with 100' });
    expect(r.lines.at(-1)).toBe(
      'setup: apt-get exited with 100; run by hand: sudo apt-get update && sudo apt-get install -y valgrind',
    );
  });
});
