import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runMeasured, tail } from './run-measured.ts';

/** Whether a process is alive (and not a zombie) after up to 2 s for a signal sent to it to land. */
async function alive(pid: number): Promise<boolean> {
  for (let i = 0; i < 40 && running(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return running(pid);
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

describe('runMeasured (hk-run)', () => {
  it('reports exit status, wall time and a plausible peak RSS', async () => {
    const r = await runMeasured('sh', ['-c', 'echo "x ops=1 seconds=0.1 mops=0.00001"; exit 0']);
    expect(r.report).toMatchObject({ how: 'exited', code: 0 });
    expect(r.report!.maxRssKb).toBeGreaterThan(100);
    expect(r.stdout).toContain('mops=');
  });
  it('measures the peak RSS of the child, not of the wrapper', async () => {
    // python-free: dd allocates a 64 MiB buffer with bs=64M
    const r = await runMeasured('dd', ['if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1']);
    expect(r.report!.maxRssKb).toBeGreaterThan(60 * 1024);
  });
  it('reports a crash with its signal and a non-zero exit', async () => {
    const crash = await runMeasured('sh', ['-c', 'kill -SEGV $$']);
    expect(crash.report).toMatchObject({ how: 'signaled', signal: 11 });
    const fail = await runMeasured('sh', ['-c', 'echo oops >&2; exit 3']);
    expect(fail.report).toMatchObject({ how: 'exited', code: 3 });
    expect(fail.stderr).toContain('oops');
  });
  it('kills a run past its time limit', async () => {
    const r = await runMeasured('sleep', ['30'], { timeoutSeconds: 0.5 });
    expect(r.report?.how).toBe('timeout');
  });
  it('leaves nothing behind: what the child started is killed when it ends, or when it times out', async () => {
    // a real workload's driver starts the measured program (and redis-server) in the background
    const left = await runMeasured('sh', ['-c', 'sleep 60 & echo "bg=$!"']);
    const pid = Number(/bg=(\d+)/.exec(left.stdout)![1]);
    expect(await alive(pid)).toBe(false);
    const late = await runMeasured('sh', ['-c', 'sleep 60 & echo "bg=$!"; sleep 60'], { timeoutSeconds: 0.5 });
    expect(late.report?.how).toBe('timeout');
    expect(await alive(Number(/bg=(\d+)/.exec(late.stdout)![1]))).toBe(false);
  });
  it('sets LD_PRELOAD for the child only, and passes the environment', async () => {
    const r = await runMeasured('sh', ['-c', 'echo "pre=$LD_PRELOAD knob=$HAKMEM_X"'], {
      preload: '/nonexistent/libx.so',
      env: { HAKMEM_X: '7' },
    });
    expect(r.stdout).toContain('pre=/nonexistent/libx.so knob=7');
  });
  it('tails text', () => {
    expect(tail('a\nb\n\nc\n', 2)).toBe('b\nc');
  });
});
