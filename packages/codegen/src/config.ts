import type { HakmemConfig } from './config.generated.ts';

export type { HakmemConfig };

/** Identity function that gives hakmem.config.ts its types (HakmemConfig is generated from the boxes). */
export function defineConfig(config: HakmemConfig): HakmemConfig {
  return config;
}
