// The environment loader of the real libraries (native/src/env/env.c with the generated
// env_box.h), preloaded into ls: run-time profiles and overrides, invalid values, the
// declared invariants checked at run time, the hash of the configuration in force (the same
// hash codegen gives that configuration) and HAKMEM_VERBOSE=2's knob listing; profile files
// (HAKMEM_PROFILE=<path>), good and bad. FAST reads no environment at all.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { configHash, loadBoxes, parseConfig, validate } from '@hakmem/codegen';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, expectOk, libByMode, need, run, type Lib } from './helpers.ts';

const BUILD_HASH = /#define HAKMEM_CONFIG_HASH "([0-9a-f]{16})"/.exec(
  readFileSync(path.join(ROOT, 'native', 'generated', 'standard', 'hakmem_build.h'), 'utf8'),
)?.[1];

/** The hash codegen gives a configuration (hakmem.config.ts's shape). */
async function codegenHash(config: object): Promise<string> {
  const decls = await loadBoxes();
  const v = validate(decls, parseConfig(config, decls, 'test'));
  const values = v.effective.get(v.profile);
  if (!values) throw new Error('no values');
  return configHash(v.profile, values);
}

/** ls under a library with the given HAKMEM_* variables; its stderr lines. */
async function withEnv(lib: Lib, env: Record<string, string>): Promise<string[]> {
  const r = await run('/bin/ls', [ROOT], { preload: lib.path, env, timeoutMs: 30_000 });
  expectOk(r);
  return r.stderr.split('\n').filter(Boolean);
}

/** HAKMEM_VERBOSE=2's lines `hakmem:   <path> = <value> (<origin>)` as path -> [value, origin]. */
function knobLines(lines: string[]): Map<string, [string, string]> {
  const out = new Map<string, [string, string]>();
  for (const l of lines) {
    const m = /^hakmem: {3}(\S+) = (.*) \((.*)\)$/.exec(l);
    if (m) out.set(m[1]!, [m[2]!, m[3]!]);
  }
  return out;
}

describe.each(['standard', 'observe'] as const)('%s: the environment', (mode) => {
  const lib = libByMode(mode);
  beforeAll(() => {
    need(lib.path);
    expect(BUILD_HASH).toBeDefined();
  });

  it("without variables prints nothing; HAKMEM_VERBOSE=1 alone names the build's configuration and no overrides", async () => {
    expect(await withEnv(lib, {})).toEqual([]);
    const lines = await withEnv(lib, { HAKMEM_VERBOSE: '1' });
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^hakmem ${mode} profile=balanced config=${BUILD_HASH} box-front@\\S+ box-unified-cache@\\S+ box-large@\\S+ box-superslab@\\S+ box-remote@\\S+ box-env@\\S+$`,
        ),
      ),
    ]);
  });

  it('a profile and an override: the verbose line lists them, with the hash codegen gives that configuration', async () => {
    const lines = await withEnv(lib, {
      HAKMEM_VERBOSE: '1',
      HAKMEM_PROFILE: 'lean',
      HAKMEM_UNIFIED_CACHE_CAPACITY: '64',
    });
    const expected = await codegenHash({ profile: 'lean', unifiedCache: { capacity: 64 } });
    expect(expected).not.toBe(BUILD_HASH);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^hakmem ${mode} profile=lean config=${expected} .* overrides: HAKMEM_PROFILE=lean HAKMEM_UNIFIED_CACHE_CAPACITY=64 \\(build config=${BUILD_HASH}\\)$`,
      ),
    );
  });

  it('HAKMEM_VERBOSE=2 prints every knob with its value and where it came from', async () => {
    const lines = await withEnv(lib, {
      HAKMEM_VERBOSE: '2',
      HAKMEM_PROFILE: 'lean',
      HAKMEM_UNIFIED_CACHE_CAPACITY: '77',
      HAKMEM_SUPERSLAB_RELEASE_MODE: 'decommit',
    });
    const knobs = knobLines(lines);
    const decls = await loadBoxes();
    const every = decls.boxes.flatMap((b) => Object.keys(b.box.knobs).map((k) => `${b.box.configPath}.${k}`)).sort();
    expect([...knobs.keys()]).toEqual(every);
    expect(knobs.get('unifiedCache.capacity')).toEqual(['77', 'environment HAKMEM_UNIFIED_CACHE_CAPACITY']);
    expect(knobs.get('superslab.releaseMode')).toEqual(['decommit', 'environment HAKMEM_SUPERSLAB_RELEASE_MODE']);
    expect(knobs.get('unifiedCache.refillBatch')).toEqual(['8', 'profile lean']);
    expect(knobs.get('unifiedCache.maxBytesPerClass')).toEqual(['131072', 'profile lean']);
    expect(knobs.get('remote.drainBatch')).toEqual(['4096', 'default']);
    expect(knobs.get('front.tinyMax')).toEqual(['1024', 'default, build-time']);
    expect(knobs.get('env.profile')).toEqual(['lean', 'environment HAKMEM_PROFILE']);
    expect(knobs.get('env.verbose')).toEqual(['2', 'environment HAKMEM_VERBOSE']);
  });

  it("an invalid value prints one line naming the variable, the value and what is accepted, and keeps the build's value", async () => {
    const lines = await withEnv(lib, { HAKMEM_VERBOSE: '2', HAKMEM_UNIFIED_CACHE_CAPACITY: '70000' });
    expect(lines[0]).toBe(
      'hakmem: ignoring HAKMEM_UNIFIED_CACHE_CAPACITY="70000" (unifiedCache.capacity): expected an integer in [1, 65535]; keeping 8192',
    );
    expect(knobLines(lines).get('unifiedCache.capacity')).toEqual(['8192', 'default']);
  });

  it('a variable that names no knob but is close to one prints one line naming it; others pass in silence', async () => {
    const lines = await withEnv(lib, {
      HAKMEM_SUPERSLAB_PURGE_DELAY_MS: '0', // a knob's words, and more
      HAKMEM_UNIFIED_CACHE_CAPACTY: '64', // a typo: one edit
      HAKMEM_DIST: '/tmp', // a tool's own variable: near no knob
    });
    expect(lines.sort()).toEqual([
      'hakmem: ignoring HAKMEM_SUPERSLAB_PURGE_DELAY_MS: no knob has that name; did you mean HAKMEM_PURGE_DELAY_MS? (HAKMEM_VERBOSE=2 lists them)',
      'hakmem: ignoring HAKMEM_UNIFIED_CACHE_CAPACTY: no knob has that name; did you mean HAKMEM_UNIFIED_CACHE_CAPACITY? (HAKMEM_VERBOSE=2 lists them)',
    ]);
    // the knobs themselves and HAKMEM_PROFILE are not reported
    expect(await withEnv(lib, { HAKMEM_PURGE_DELAY_MS: '0', HAKMEM_PROFILE: 'lean' })).toEqual([]);
  });

  const broken: { env: Record<string, string>; line: string; knob: string; kept: string }[] = [
    {
      env: { HAKMEM_UNIFIED_CACHE_REFILL_BATCH: '1000', HAKMEM_UNIFIED_CACHE_CAPACITY: '4' },
      line:
        "hakmem: ignoring the environment's configuration: HAKMEM_UNIFIED_CACHE_REFILL_BATCH=1000 and HAKMEM_UNIFIED_CACHE_CAPACITY=4 break " +
        "unifiedCache.refillBatch = 1000 must be <= unifiedCache.capacity (4); keeping the build's (profile balanced)",
      knob: 'unifiedCache.capacity',
      kept: '8192',
    },
    {
      env: { HAKMEM_SUPERSLAB_RELEASE_THRESHOLD: '100', HAKMEM_SUPERSLAB_POOL_LIMIT: '8' },
      line:
        "hakmem: ignoring the environment's configuration: HAKMEM_SUPERSLAB_RELEASE_THRESHOLD=100 and HAKMEM_SUPERSLAB_POOL_LIMIT=8 break " +
        "superslab.releaseThreshold = 100 must be < superslab.poolLimit (8); keeping the build's (profile balanced)",
      knob: 'superslab.releaseThreshold',
      kept: '2',
    },
    {
      // the capacity comes from the profile, the batch from the environment
      env: { HAKMEM_PROFILE: 'lean', HAKMEM_UNIFIED_CACHE_REFILL_BATCH: '64' },
      line:
        "hakmem: ignoring the environment's configuration: HAKMEM_UNIFIED_CACHE_REFILL_BATCH=64 and HAKMEM_UNIFIED_CACHE_CAPACITY=32 (profile lean) break " +
        "unifiedCache.refillBatch = 64 must be <= unifiedCache.capacity (32); keeping the build's (profile balanced)",
      knob: 'unifiedCache.refillBatch',
      kept: '32',
    },
  ];
  for (const c of broken) {
    it(`a broken invariant (${Object.entries(c.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}): one line in codegen's words, and every override falls back`, async () => {
      const lines = await withEnv(lib, { ...c.env, HAKMEM_UNIFIED_CACHE_MID_CAPACITY: '16', HAKMEM_VERBOSE: '2' });
      expect(lines[0]).toBe(c.line);
      expect(lines[1]).toMatch(
        new RegExp(`^hakmem ${mode} profile=balanced config=${BUILD_HASH}(?: box-[a-z-]+@\\S+)+$`),
      );
      const knobs = knobLines(lines);
      expect(knobs.get(c.knob)).toEqual([c.kept, 'default']);
      // an override no invariant involves falls back too; the diagnostic HAKMEM_VERBOSE stays
      expect(knobs.get('unifiedCache.midCapacity')).toEqual(['2048', 'default']);
      expect(knobs.get('env.verbose')).toEqual(['2', 'environment HAKMEM_VERBOSE']);
    });
  }

  it('codegen words the same rule the same way at build time', async () => {
    const decls = await loadBoxes();
    expect(() =>
      validate(decls, parseConfig({ unifiedCache: { capacity: 4, refillBatch: 1000 } }, decls, 't')),
    ).toThrow('unifiedCache.refillBatch = 1000 must be <= unifiedCache.capacity (4)');
  });
});

describe.each(['standard', 'observe'] as const)('%s: a profile file (HAKMEM_PROFILE=<path>)', (mode) => {
  const lib = libByMode(mode);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hakmem-profile-'));
  /** Writes a profile file into the temporary directory; its path. */
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  beforeAll(() => need(lib.path));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('selects knob values: its profile, then its values, then the environment; the hash is the one codegen gives', async () => {
    const p = file(
      'tuned.profile',
      '# hakmem tune: a test profile\nHAKMEM_PROFILE=lean\n  HAKMEM_UNIFIED_CACHE_CAPACITY=64  \n\nHAKMEM_SUPERSLAB_RELEASE_MODE=decommit\r\nHAKMEM_REMOTE_PUSH_BATCH=16\n',
    );
    const one = await withEnv(lib, { HAKMEM_VERBOSE: '1', HAKMEM_PROFILE: p });
    const expected = await codegenHash({
      profile: 'lean',
      unifiedCache: { capacity: 64 },
      superslab: { releaseMode: 'decommit' },
      remote: { pushBatch: 16 },
    });
    expect(one).toEqual([
      expect.stringMatching(
        new RegExp(
          `^hakmem ${mode} profile=lean config=${expected} .* overrides: HAKMEM_PROFILE=${p} HAKMEM_UNIFIED_CACHE_CAPACITY=64 HAKMEM_SUPERSLAB_RELEASE_MODE=decommit HAKMEM_REMOTE_PUSH_BATCH=16 \\(build config=${BUILD_HASH}\\)$`,
        ),
      ),
    ]);
    // HAKMEM_VERBOSE=2: every knob's value and where it came from; a variable beats the file
    const two = await withEnv(lib, { HAKMEM_VERBOSE: '2', HAKMEM_PROFILE: p, HAKMEM_REMOTE_PUSH_BATCH: '8' });
    const knobs = knobLines(two);
    expect(knobs.get('env.profile')).toEqual(['lean', `profile file ${p}`]);
    expect(knobs.get('unifiedCache.capacity')).toEqual(['64', `profile file ${p}`]);
    expect(knobs.get('superslab.releaseMode')).toEqual(['decommit', `profile file ${p}`]);
    expect(knobs.get('remote.pushBatch')).toEqual(['8', 'environment HAKMEM_REMOTE_PUSH_BATCH']);
    expect(knobs.get('unifiedCache.refillBatch')).toEqual(['8', 'profile lean']);
    expect(knobs.get('remote.drainBatch')).toEqual(['4096', 'default']);
  });

  it("a file without HAKMEM_PROFILE starts from the build's profile", async () => {
    const p = file('plain.profile', 'HAKMEM_SUPERSLAB_POOL_LIMIT=4\n');
    const knobs = knobLines(await withEnv(lib, { HAKMEM_VERBOSE: '2', HAKMEM_PROFILE: p }));
    expect(knobs.get('env.profile')).toEqual(['balanced', 'build config']);
    expect(knobs.get('superslab.poolLimit')).toEqual(['4', `profile file ${p}`]);
  });

  const bad: { name: string; text: string | null; problem: string }[] = [
    { name: 'missing.profile', text: null, problem: 'No such file or directory' },
    {
      name: 'range.profile',
      text: '# ok so far\nHAKMEM_SUPERSLAB_POOL_LIMIT=4\nHAKMEM_UNIFIED_CACHE_CAPACITY=0\n',
      problem: 'line 3: HAKMEM_UNIFIED_CACHE_CAPACITY="0" (unifiedCache.capacity): expected an integer in [1, 65535]',
    },
    {
      name: 'unknown.profile',
      text: 'HAKMEM_SUPERSLAB_SIZE=4M\n',
      problem: 'line 1: HAKMEM_SUPERSLAB_SIZE is not a run-time knob of this build (docs/knobs.md lists them)',
    },
    {
      name: 'garbage.profile',
      text: 'capacity 64\n',
      problem: 'line 1: expected HAKMEM_<KNOB>=VALUE, got "capacity 64"',
    },
    {
      name: 'twice.profile',
      text: 'HAKMEM_SUPERSLAB_POOL_LIMIT=4\nHAKMEM_SUPERSLAB_POOL_LIMIT=5\n',
      problem: 'line 2: HAKMEM_SUPERSLAB_POOL_LIMIT is set twice (line 1 too)',
    },
    {
      name: 'nested.profile',
      text: 'HAKMEM_PROFILE=./other.profile\n',
      problem:
        'line 1: HAKMEM_PROFILE="./other.profile": expected one of speed, balanced, lean, hardened (a file names no other file)',
    },
  ];
  for (const c of bad) {
    it(`a bad file (${c.name}) is refused whole with one line naming it; the build's values stay`, async () => {
      const p = c.text === null ? path.join(dir, c.name) : file(c.name, c.text);
      const lines = await withEnv(lib, { HAKMEM_VERBOSE: '2', HAKMEM_PROFILE: p });
      expect(lines[0]).toBe(
        `hakmem: ignoring the profile file HAKMEM_PROFILE=${p}: ${c.problem}; keeping the build's (profile balanced)`,
      );
      expect(lines[1]).toMatch(
        new RegExp(`^hakmem ${mode} profile=balanced config=${BUILD_HASH}(?: box-[a-z-]+@\\S+)+$`),
      );
      const knobs = knobLines(lines);
      expect(knobs.get('superslab.poolLimit')).toEqual(['8', 'default']);
      expect(knobs.get('env.profile')).toEqual(['balanced', 'build config']);
    });
  }

  it("values that break an invariant fall back like the environment's, naming the file", async () => {
    const p = file('broken.profile', 'HAKMEM_UNIFIED_CACHE_CAPACITY=4\n');
    const lines = await withEnv(lib, { HAKMEM_VERBOSE: '1', HAKMEM_PROFILE: p });
    expect(lines[0]).toBe(
      "hakmem: ignoring the environment's configuration: HAKMEM_UNIFIED_CACHE_REFILL_BATCH=32 (default) and " +
        `HAKMEM_UNIFIED_CACHE_CAPACITY=4 (profile file ${p}) break unifiedCache.refillBatch = 32 must be <= ` +
        "unifiedCache.capacity (4); keeping the build's (profile balanced)",
    );
    expect(lines[1]).toMatch(
      new RegExp(`^hakmem ${mode} profile=balanced config=${BUILD_HASH}(?: box-[a-z-]+@\\S+)+$`),
    );
  });

  it('a workload runs under a profile file, with nothing on stderr', async () => {
    const p = file('run.profile', 'HAKMEM_PROFILE=speed\nHAKMEM_REMOTE_PUSH_BATCH=32\n');
    const r = await run(path.join(BIN, 'tiny_hot'), ['iters=20000'], {
      preload: lib.path,
      env: { HAKMEM_PROFILE: p },
      timeoutMs: 60_000,
    });
    expectOk(r);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^tiny_hot ops=\d+ /m);
  });
});

describe('FAST', () => {
  it('reads no environment: the variables change nothing and getenv is not linked', async () => {
    const lib = libByMode('fast');
    expect(
      await withEnv(lib, {
        HAKMEM_VERBOSE: '2',
        HAKMEM_UNIFIED_CACHE_REFILL_BATCH: '1000',
        HAKMEM_UNIFIED_CACHE_CAPACITY: '4',
      }),
    ).toEqual([]);
    const { stdout } = await execa('nm', ['-D', lib.path]);
    expect(stdout).not.toMatch(/getenv/);
    const standard = await execa('nm', ['-D', libByMode('standard').path]);
    expect(standard.stdout).toMatch(/ U getenv/);
  });
});
