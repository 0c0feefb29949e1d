import path from 'node:path';
import { parseArgs } from 'node:util';
import { CodegenError, UsageError } from './errors.ts';
import { generate } from './generate.ts';
import { resolveConfigFile } from './load-config.ts';
import { repoRelative, repoRoot } from './paths.ts';
import { MODES, type Mode } from './types.ts';

const USAGE =
  'usage: npm run codegen -- [--mode fast|standard|observe]... [--config FILE] [--out DIR] [--check] [--docs FILE]';

export interface CliOptions {
  modes: Mode[];
  config: string | undefined;
  out: string | undefined;
  docs: string | undefined;
  check: boolean;
}

export function parseCli(argv: readonly string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        mode: { type: 'string', multiple: true },
        config: { type: 'string' },
        out: { type: 'string' },
        docs: { type: 'string' },
        check: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (err) {
    throw new UsageError([`${(err as Error).message}`, USAGE]);
  }
  if (values.help) throw new UsageError([USAGE]);
  const modes = (values.mode ?? []).flatMap((m) => m.split(','));
  for (const m of modes) {
    if (!(MODES as readonly string[]).includes(m))
      throw new UsageError([`--mode ${m}: expected one of ${MODES.join(', ')}`]);
  }
  return { modes: modes as Mode[], config: values.config, out: values.out, docs: values.docs, check: values.check };
}

const shown = (f: string): string => (f.startsWith(repoRoot) ? repoRelative(f) : f);

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const opts = parseCli(argv);
    const result = await generate({
      modes: opts.modes,
      configFile: resolveConfigFile(opts.config),
      outDir: opts.out,
      // With an explicit --out, the docs go beside the headers: generating elsewhere must not
      // touch the repository's docs/knobs.md.
      docsFile:
        opts.docs !== undefined
          ? path.resolve(opts.docs)
          : opts.out !== undefined
            ? path.resolve(opts.out, 'knobs.md')
            : undefined,
      check: opts.check,
    });
    if (opts.check) {
      if (result.differing.length > 0) {
        for (const f of result.differing) console.error(`hakmem codegen: ${shown(f)} is out of date`);
        console.error('hakmem codegen: run npm run codegen to regenerate');
        return 1;
      }
      console.log(`hakmem codegen: ${result.files.length} files up to date`);
      return 0;
    }
    console.log(`hakmem codegen: wrote ${result.files.length} files`);
    return 0;
  } catch (err) {
    if (err instanceof CodegenError) {
      for (const line of err.problems) console.error(`hakmem codegen: ${line}`);
    } else {
      console.error(`hakmem codegen: internal error: ${(err as Error).stack ?? String(err)}`);
    }
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
