/** Test fixture: a fake machine for the prerequisite probes, lacking the packages named. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PREREQS, type ProbeEnv, type Prereq } from './prereqs.ts';

export interface FakeMachine {
  /** The probe environment, as defaultProbeEnv would build it from the two env variables. */
  env: ProbeEnv;
  /** HAKMEM_PREREQ_PATH and HAKMEM_PREREQ_ROOT for a child process. */
  vars: { HAKMEM_PREREQ_PATH: string; HAKMEM_PREREQ_ROOT: string };
  /** Makes a package's probes succeed (what a fake apt-get does). */
  install(pkg: string): void;
  cleanup(): void;
}

const LIB_DIR = '/usr/lib';

export function fakeMachine(lacking: readonly string[], prereqs: readonly Prereq[] = PREREQS): FakeMachine {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hakmem-prereqs-'));
  const bin = path.join(dir, 'bin');
  const root = path.join(dir, 'root');
  fs.mkdirSync(bin);
  fs.mkdirSync(path.join(root, LIB_DIR), { recursive: true });
  const touch = (file: string, mode = 0o644) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '');
    fs.chmodSync(file, mode);
  };
  const install = (pkg: string) => {
    for (const probe of prereqs.find((p) => p.pkg === pkg)?.probes ?? []) {
      if ('cmd' in probe) touch(path.join(bin, probe.cmd), 0o755);
      else if ('file' in probe) touch(path.join(root, probe.file.replaceAll('*', 'x')));
      else touch(path.join(root, LIB_DIR, probe.lib));
    }
  };
  for (const p of prereqs) if (!lacking.includes(p.pkg)) install(p.pkg);
  return {
    env: { pathDirs: [bin], root, libDirs: [LIB_DIR] },
    vars: { HAKMEM_PREREQ_PATH: bin, HAKMEM_PREREQ_ROOT: root },
    install,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
