// Real programs under LD_PRELOAD of each library must print exactly what they print on
// glibc: (a) Python building and dropping large dicts and lists, (b) git on a scratch
// repository, (c) sort and gzip | gunzip over a ~200 MB file, (d) node churning JSON,
// Buffers and Maps. Each scenario runs once without preload (the reference), then under
// every library; the whole pipeline (shell included) runs under the preload.
import { mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIBS, acquireHeavyLock, describeRun, expectOk, LOCK_HOOK_TIMEOUT, need, run } from './helpers.ts';

let release: (() => void) | undefined;
let tmp = '';
beforeAll(async () => {
  release = await acquireHeavyLock();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'hakmem-real-'));
}, LOCK_HOOK_TIMEOUT);
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  release?.();
});

const TARGETS = LIBS.map((l) => ({ file: l.file, path: l.path }));

/** Runs `bash -c script` (under the preload if given) and returns stdout; fails on non-zero exit. */
async function sh(script: string, preload: string | undefined, env: Record<string, string>, timeoutMs: number) {
  const r = await run('/bin/bash', ['-euo', 'pipefail', '-c', script], { preload, env, timeoutMs, cwd: tmp });
  expectOk(r);
  return r;
}

// ------------------------------------------------------------------ (a) Python

const PYTHON = String.raw`
import hashlib, sys
h = hashlib.sha256()
for rnd in range(4):
    d = {}
    for i in range(200000):
        d["k%d_%d" % (rnd, i)] = [i, str(i * 7), (i, rnd)]
    lists = [list(range(i % 500)) for i in range(6000)]
    s = 0
    for k in list(d.keys())[::97]:
        s += d[k][0] + len(d[k][1])
    for l in lists[::13]:
        s += sum(l)
    big = [str(x) * (x % 17) for x in range(150000)]
    joined = "".join(big[::11])
    h.update(("%d:%d:%d:%d;" % (rnd, s, len(joined), len(d))).encode())
    h.update(hashlib.sha256(joined.encode()).digest())
    del d, lists, big, joined
    nested = {i: {j: [j] * (j % 5) for j in range(40)} for i in range(3000)}
    h.update(str(sum(len(v) for v in nested.values())).encode())
    del nested
print("python digest", h.hexdigest())
`;

describe.sequential('(a) python3: large dicts and lists', () => {
  let script = '';
  let reference = '';
  beforeAll(async () => {
    script = path.join(tmp, 'churn.py');
    writeFileSync(script, PYTHON);
  });
  it('reference run without preload', async () => {
    const r = await sh(`python3 ${script}`, undefined, { PYTHONHASHSEED: '0' }, 120_000);
    expect(r.stdout).toMatch(/^python digest [0-9a-f]{64}$/m);
    reference = r.stdout;
  }, 150_000);
  it.each(TARGETS)(
    'same output under $file',
    async (t) => {
      expect(reference, 'the reference run failed').not.toBe('');
      const r = await sh(`python3 ${script}`, t.path, { PYTHONHASHSEED: '0' }, 120_000);
      expect(r.stdout, describeRun(r)).toBe(reference);
    },
    150_000,
  );
});

// ------------------------------------------------------------------ (b) git

const GIT_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: 'Hak Mem',
  GIT_AUTHOR_EMAIL: 'hakmem@example.invalid',
  GIT_AUTHOR_DATE: '2026-01-02T03:04:05Z',
  GIT_COMMITTER_NAME: 'Hak Mem',
  GIT_COMMITTER_EMAIL: 'hakmem@example.invalid',
  GIT_COMMITTER_DATE: '2026-01-02T03:04:05Z',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
  TZ: 'UTC',
};

// Runs in a fresh directory (relative paths only, so outputs do not depend on it).
const GIT_SCRIPT = String.raw`
dir="$1"; rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
git -c init.defaultBranch=main init -q .
git config gc.auto 0; git config pack.threads 1; git config core.autocrlf false
awk 'BEGIN { for (d = 0; d < 20; d++) { system("mkdir -p src/d" d)
  for (f = 0; f < 100; f++) { fn = "src/d" d "/f" f ".txt"; printf "file %d/%d\n", d, f > fn
    for (i = f * 3; i <= f * 3 + d + 40; i++) printf "%d ", i > fn
    printf "\n" > fn; close(fn) } } }'
git add -A
git commit -q -m "initial: 2000 files"
for d in $(seq 0 19 | sed -n '1~3p'); do
  for f in $(seq 0 7 99); do echo "changed $d $f" >> "src/d$d/f$f.txt"; done
  git rm -q "src/d$d/f1.txt"
done
git add -A
git commit -q -m "second: edits and removals"
git mv src/d1 src/moved
git commit -q -m "third: rename a directory"
echo "== log"; git log --stat --format='%H %an %ad %s' --date=iso-strict
echo "== diff"; git diff --stat HEAD~2 HEAD; git diff HEAD~2 HEAD -- src/d0 | sha256sum
echo "== gc"; git gc -q --aggressive; git count-objects -v | grep -v -e size -e prune
echo "== fsck"; git fsck --full --strict 2>&1 | sort
echo "== tree"; git ls-tree -r HEAD | sha256sum
echo "== blame"; git blame -s src/d0/f7.txt | sha256sum
echo "== archive"; git archive --format=tar HEAD | sha256sum
`;

describe.sequential('(b) git: init, add 2000 files, commit, log, diff, gc, fsck', () => {
  let script = '';
  let reference = '';
  beforeAll(() => {
    script = path.join(tmp, 'git.sh');
    writeFileSync(script, GIT_SCRIPT);
  });
  it('reference run without preload', async () => {
    const r = await sh(`bash ${script} ${path.join(tmp, 'repo-ref')}`, undefined, GIT_ENV, 120_000);
    expect(r.stdout).toContain('== log');
    expect(r.stdout).toContain('initial: 2000 files');
    reference = r.stdout;
  }, 150_000);
  it.each(TARGETS)(
    'same output under $file',
    async (t) => {
      expect(reference, 'the reference run failed').not.toBe('');
      const r = await sh(`bash ${script} ${path.join(tmp, `repo-${path.basename(t.path)}`)}`, t.path, GIT_ENV, 120_000);
      expect(r.stdout, describeRun(r)).toBe(reference);
    },
    150_000,
  );
});

// ------------------------------------------------------------------ (c) sort, gzip | gunzip

const BIG_BYTES = 200 * 1024 * 1024;

/** Writes ~BIG_BYTES of deterministic pseudo-random lines (xorshift32). */
function writeBigFile(file: string): number {
  const words = [
    'alpha',
    'bravo',
    'charlie',
    'delta',
    'echo',
    'foxtrot',
    'golf',
    'hotel',
    'india',
    'juliet',
    'kilo',
    'lima',
    'mike',
    'november',
    'oscar',
    'papa',
  ];
  let st = 0x9e3779b9 >>> 0;
  const rnd = () => {
    st ^= st << 13;
    st >>>= 0;
    st ^= st >>> 17;
    st ^= st << 5;
    st >>>= 0;
    return st;
  };
  const fd = openSync(file, 'w');
  let written = 0;
  try {
    while (written < BIG_BYTES) {
      const parts: string[] = [];
      for (let i = 0; i < 20000; i++) {
        const r = rnd();
        const r2 = rnd();
        parts.push(
          `${words[r & 15]}-${r2.toString(36)} ${(r >>> 4) % 1000003} ${words[(r2 >>> 7) & 15]}${(r ^ r2).toString(16)}\n`,
        );
      }
      const buf = Buffer.from(parts.join(''));
      writeSync(fd, buf);
      written += buf.length;
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

// gzip -1: the default level costs ~25 s per run on this class of machine, four runs
// would dominate the suite; the allocator sees the same pattern at either level.
const SORT_GZIP = (file: string) => `
export LC_ALL=C
echo "sort $(sort --parallel=2 -S 256M "${file}" | sha256sum)"
echo "gzip $(gzip -1 -c "${file}" | gunzip | sha256sum)"
`;

describe.sequential('(c) sort and gzip | gunzip over ~200 MB', () => {
  let file = '';
  let reference = '';
  beforeAll(() => {
    file = path.join(tmp, 'lines.txt');
    writeBigFile(file);
  }, 120_000);
  afterAll(() => {
    if (file) rmSync(file, { force: true });
  });
  it('reference run without preload', async () => {
    const r = await sh(SORT_GZIP(file), undefined, {}, 180_000);
    expect(r.stdout).toMatch(/^sort [0-9a-f]{64} {2}-$/m);
    expect(r.stdout).toMatch(/^gzip [0-9a-f]{64} {2}-$/m);
    reference = r.stdout;
  }, 200_000);
  it.each(TARGETS)(
    'same output under $file',
    async (t) => {
      expect(reference, 'the reference run failed').not.toBe('');
      const r = await sh(SORT_GZIP(file), t.path, {}, 180_000);
      expect(r.stdout, describeRun(r)).toBe(reference);
    },
    200_000,
  );
});

// ------------------------------------------------------------------ (d) node

const NODE_SCRIPT = String.raw`
import { createHash } from 'node:crypto';
const h = createHash('sha256');
for (let round = 0; round < 6; round++) {
  const objs = [];
  for (let i = 0; i < 40000; i++)
    objs.push({ id: i, name: 'n' + i * round, tags: ['a' + (i % 7), 'b' + (i % 11)], nested: { v: i / 3, s: String(i).repeat(i % 9) } });
  const text = JSON.stringify(objs);
  const back = JSON.parse(text);
  h.update(String(text.length) + ':' + back.length + ';');
  const m = new Map();
  for (const o of back) m.set(o.name + '/' + o.tags[1], o.nested.s);
  let total = 0;
  for (const [k, v] of m) total += k.length + v.length;
  h.update(String(total));
  const bufs = [];
  for (let i = 0; i < 3000; i++) bufs.push(Buffer.alloc(64 + (i * 37) % 20000, i & 255));
  const all = Buffer.concat(bufs);
  h.update(createHash('sha256').update(all).digest());
  h.update(Buffer.from(text).subarray(0, 100000));
}
console.log('node digest', h.digest('hex'));
`;

describe.sequential('(d) node: JSON, Buffer, Map churn', () => {
  let script = '';
  let reference = '';
  beforeAll(() => {
    script = path.join(tmp, 'churn.mjs');
    writeFileSync(script, NODE_SCRIPT);
  });
  it('reference run without preload', async () => {
    const r = await run(process.execPath, [script], { timeoutMs: 120_000, cwd: tmp });
    expectOk(r);
    expect(r.stdout).toMatch(/^node digest [0-9a-f]{64}$/m);
    reference = r.stdout;
  }, 150_000);
  it.each(TARGETS)(
    'same output under $file',
    async (t) => {
      expect(reference, 'the reference run failed').not.toBe('');
      const r = await run(process.execPath, [script], { preload: need(t.path), timeoutMs: 120_000, cwd: tmp });
      expectOk(r);
      expect(r.stdout, describeRun(r)).toBe(reference);
    },
    150_000,
  );
});
