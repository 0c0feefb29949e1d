import path from 'node:path';
import { loadBoxes } from './load-boxes.ts';
import { loadConfig } from './load-config.ts';
import { buildManifestJson } from './manifest.ts';
import { renderConfigType } from './config-type.ts';
import { buildModel, GENERATOR_VERSION } from './model.ts';
import { repoRoot } from './paths.ts';
import { renderDocs, renderHeaders } from './render.ts';
import { MODES, type Mode } from './types.ts';
import { validate } from './validate.ts';
import { compareOutputs, writeOutputs } from './write.ts';

/** Where the generated type of hakmem.config.ts goes (repository-relative). */
export const CONFIG_TYPE_FILE = 'packages/codegen/src/config.generated.ts';

export interface GenerateOptions {
  modes?: readonly Mode[];
  /** Config file; undefined = none (callers resolve the default hakmem.config.ts). */
  configFile?: string | undefined;
  /** Output directory; undefined = native/generated/<mode>. One mode: DIR; several: DIR/<mode>. */
  outDir?: string | undefined;
  docsFile?: string | undefined;
  check?: boolean;
  /** Declaration files to load instead of packages/box-*\/src/box.ts (tests). */
  declarationFiles?: readonly string[];
}

export interface GenerateResult {
  files: string[];
  /** With check: the files that differ from what would be generated. */
  differing: string[];
}

/** Where each mode's headers go. */
export function outputDir(mode: Mode, modes: readonly Mode[], outDir: string | undefined): string {
  if (outDir === undefined) return path.join(repoRoot, 'native', 'generated', mode);
  return modes.length === 1 ? path.resolve(outDir) : path.join(path.resolve(outDir), mode);
}

/** The whole pipeline: load -> validate -> model -> render -> write (or check). Throws CodegenError. */
export async function generate(options: GenerateOptions = {}): Promise<GenerateResult> {
  const modes = options.modes && options.modes.length > 0 ? [...new Set(options.modes)] : [...MODES];
  const decls = await loadBoxes(options.declarationFiles);
  const config = await loadConfig(options.configFile, decls);
  const validated = validate(decls, config);
  const outputs = new Map<string, string>();
  for (const mode of modes) {
    const model = buildModel(validated, mode);
    const dir = outputDir(mode, modes, options.outDir);
    for (const [name, content] of renderHeaders(model)) outputs.set(path.join(dir, name), content);
  }
  // mode-independent: beside the mode directories (or the one mode's headers with --out DIR)
  const manifestDir =
    options.outDir === undefined ? path.join(repoRoot, 'native', 'generated') : path.resolve(options.outDir);
  outputs.set(path.join(manifestDir, 'manifest.json'), buildManifestJson(validated, GENERATOR_VERSION));
  const docsFile = path.resolve(options.docsFile ?? path.join(repoRoot, 'docs', 'knobs.md'));
  const docsModel = buildModel(validated, modes[0] ?? 'standard');
  outputs.set(docsFile, renderDocs(docsModel));
  // the type of hakmem.config.ts, beside codegen's own sources (with --out DIR: in DIR)
  const typeFile =
    options.outDir === undefined
      ? path.join(repoRoot, CONFIG_TYPE_FILE)
      : path.join(path.resolve(options.outDir), 'config.generated.ts');
  outputs.set(typeFile, renderConfigType(validated, docsModel.docsBanner.slice(5, -4)));
  if (options.check) return { files: [...outputs.keys()], differing: compareOutputs(outputs) };
  return { files: writeOutputs(outputs), differing: [] };
}
