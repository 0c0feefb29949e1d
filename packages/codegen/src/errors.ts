/** Base of every error codegen reports to the user: the message is what gets printed. */
export class CodegenError extends Error {
  override name = 'CodegenError';
  /** One line per problem. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.problems = problems;
  }
}

/** A box declaration is malformed (missing doc comment, duplicate environment name, ...). */
export class DeclarationError extends CodegenError {
  override name = 'DeclarationError';
}

/** hakmem.config.ts cannot be loaded, or has an unknown key or a wrongly typed value. */
export class ConfigError extends CodegenError {
  override name = 'ConfigError';
}

/** The merged configuration breaks a range or an invariant. */
export class ValidationError extends CodegenError {
  override name = 'ValidationError';
}

/** Command-line usage error. */
export class UsageError extends CodegenError {
  override name = 'UsageError';
}
