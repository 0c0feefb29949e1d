/** Builds what the benchmark needs (codegen -> native) through Nx; Nx caches it when nothing changed. */
import { execa } from 'execa';
import { repoRoot } from '../paths.ts';

export class BuildError extends Error {
  override name = 'BuildError';
}

/** Runs `npx nx run native:build` with the daemon off; its output goes to stderr so stdout keeps the table. */
export async function buildNative(opts: { quiet?: boolean } = {}): Promise<void> {
  const r = await execa('npx', ['nx', 'run', 'native:build', '--outputStyle=static'], {
    cwd: repoRoot,
    env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
    preferLocal: true,
    reject: false,
    stdin: 'ignore',
    // Not quiet: the build's output goes to our stderr (fd 2), so stdout keeps only the table.
    stdout: opts.quiet ? 'pipe' : 2,
    stderr: opts.quiet ? 'pipe' : 'inherit',
    all: opts.quiet,
  });
  if (r.exitCode !== 0) {
    const out = opts.quiet
      ? `\n${String(r.all ?? '')
          .split('\n')
          .slice(-30)
          .join('\n')}`
      : '';
    throw new BuildError(
      `the native build failed (npx nx run native:build exited ${r.exitCode}); fix it or rerun with --no-build${out}`,
    );
  }
}
