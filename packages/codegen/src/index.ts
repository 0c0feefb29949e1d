export { defineConfig, type HakmemConfig } from './config.ts';
export { generate, type GenerateOptions, type GenerateResult } from './generate.ts';
export { CodegenError, ConfigError, DeclarationError, ValidationError } from './errors.ts';
export type { Mode } from './types.ts';
