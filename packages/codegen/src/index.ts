export { defineConfig, type HakmemConfig } from './config.ts';
export { generate, type GenerateOptions, type GenerateResult } from './generate.ts';
export { CodegenError, ConfigError, DeclarationError, ValidationError } from './errors.ts';
export type { Mode } from './types.ts';

// The pieces `hakmem ab` needs to check knob paths and values with codegen's own rules.
export { loadBoxes } from './load-boxes.ts';
export { knobIndex, parseConfig, resolveConfigFile } from './load-config.ts';
export { envName } from './names.ts';
export { validate } from './validate.ts';
// ... and the pieces `hakmem tune` needs to check a run-time configuration as Standard does after reading the
// environment: ranges and invariants of the configuration in force under one profile.
export { checkValues, effectiveFor } from './validate.ts';
export type { Declarations, Effective } from './types.ts';
export { configHash } from './model.ts';
export {
  buildManifestJson,
  declarationJson,
  packageDeclarations,
  type KnobDeclaration,
  type PackageDeclaration,
} from './manifest.ts';
export type { Validated } from './types.ts';
