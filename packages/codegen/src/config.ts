import type { KnobOverrides } from '@hakmem/box-kit';
import type { frontGate, unifiedCache } from '@hakmem/box-front';
import type { superslab } from '@hakmem/box-superslab';
import type { remoteQueue } from '@hakmem/box-remote';
import type { envGate, ProfileName } from '@hakmem/box-env';

/**
 * The shape of hakmem.config.ts, derived from the box declarations: every knob optional and
 * typed by its kind, so a wrong key or a wrongly typed value is a TypeScript error.
 */
export interface HakmemConfig {
  /** The build's profile (defaults <- profile <- this file). */
  readonly profile?: ProfileName;
  readonly front?: {
    readonly gate?: KnobOverrides<typeof frontGate>;
    readonly unifiedCache?: KnobOverrides<typeof unifiedCache>;
  };
  readonly superslab?: KnobOverrides<typeof superslab>;
  readonly remote?: KnobOverrides<typeof remoteQueue>;
  /** The profile is chosen with the top-level `profile`, not here. */
  readonly env?: Omit<KnobOverrides<typeof envGate>, 'profile'>;
}

/** Identity function that gives hakmem.config.ts its types. */
export function defineConfig(config: HakmemConfig): HakmemConfig {
  return config;
}
