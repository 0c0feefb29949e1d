import { describe, expect, it } from 'vitest';
import { PEERS } from '../bench/find-allocators.ts';
import { peerInstallCommand } from './peers.ts';

describe('peers', () => {
  it("names Debian's packages in the command a person runs", () => {
    const cmd = peerInstallCommand(Object.values(PEERS).map((p) => p.pkg));
    expect(cmd).toBe(
      'sudo apt-get update && sudo apt-get install -y libmimalloc2.0 libjemalloc2 libtcmalloc-minimal4 libclang-rt-14-dev',
    );
  });
});
