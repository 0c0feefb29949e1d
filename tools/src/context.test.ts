import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectContext, hakmemBuildInfo, readBuildHeader } from './context.ts';

const header = `/* generated */
#define HAKMEM_MODE_NAME "fast"
#define HAKMEM_FAST 1
#define HAKMEM_PROFILE_NAME "balanced"
#define HAKMEM_CONFIG_HASH "0123456789abcdef"
#define HAKMEM_BOX_VERSIONS "box-front@0.1.0 box-superslab@0.1.0 box-remote@0.1.0 box-env@0.1.0"
`;

describe('context', () => {
  it('reads the generated build header', () => {
    expect(readBuildHeader(header)).toMatchObject({ HAKMEM_MODE_NAME: 'fast', HAKMEM_CONFIG_HASH: '0123456789abcdef' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-gen-'));
    fs.mkdirSync(path.join(dir, 'fast'));
    fs.writeFileSync(path.join(dir, 'fast', 'hakmem_build.h'), header);
    expect(hakmemBuildInfo('/x/libhakmem-fast.so', 'fast', dir)).toEqual({
      path: '/x/libhakmem-fast.so', mode: 'fast', profile: 'balanced', configHash: '0123456789abcdef',
      boxVersions: 'box-front@0.1.0 box-superslab@0.1.0 box-remote@0.1.0 box-env@0.1.0',
    });
    expect(hakmemBuildInfo('/x/libhakmem.so', 'standard', dir).configHash).toBeNull();
  });
  it('collects the machine context', async () => {
    const c = await collectContext([{ name: 'glibc', preload: null }]);
    expect(c.nproc).toBeGreaterThan(0);
    expect(c.cpuModel).not.toBe('');
    expect(new Date(c.date).getTime()).not.toBeNaN();
    expect(c.compiler).not.toBe('unknown');
  });
});
