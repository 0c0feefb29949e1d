import type { AnyKnobValue, Box, KnobKind, ProfileOverrides } from '@hakmem/box-kit';

export type Mode = 'fast' | 'standard' | 'observe';
export const MODES: readonly Mode[] = ['fast', 'standard', 'observe'];

/** What ts-morph read from a box.ts for one `defineBox` export. */
export interface DeclaredBox {
  exportName: string;
  file: string;
  doc: string;
  knobs: ReadonlyMap<string, { ctor: string; kind: KnobKind | undefined; doc: string }>;
  counters: ReadonlyMap<string, { doc: string }>;
}

/** A box as loaded (runtime values) plus what its source says (docs). */
export interface SourcedBox {
  box: Box;
  exportName: string;
  /** Repo-relative path of the declaration file. */
  file: string;
  doc: string;
  knobDocs: ReadonlyMap<string, string>;
  counterDocs: ReadonlyMap<string, string>;
}

export interface Profile {
  name: string;
  doc: string;
  overrides: ProfileOverrides;
}

export interface Declarations {
  boxes: readonly SourcedBox[];
  profiles: readonly Profile[];
  /** Repo-relative path of the file declaring the profiles. */
  profilesFile: string;
}

/** A user configuration after loading and shape checking: full knob path -> value. */
export interface UserConfig {
  file: string | undefined;
  profile: string | undefined;
  overrides: ReadonlyMap<string, AnyKnobValue>;
}

/** The values of every knob for one profile: full knob path -> value. */
export type Effective = ReadonlyMap<string, AnyKnobValue>;

export interface Validated {
  decls: Declarations;
  config: UserConfig;
  /** The build's profile name. */
  profile: string;
  /** Effective values per profile name (declaration order). */
  effective: ReadonlyMap<string, Effective>;
}
