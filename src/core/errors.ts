/** Where something is in a source file; line and col are 1-based. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export function formatPos(pos: SourcePos | undefined): string {
  return pos ? `${pos.file}:${pos.line}:${pos.col}` : '';
}

/**
 * The base of every error runbook reports to a user. `code` is a literal per subclass so
 * callers can switch on it; `message` is the short form, `detail` the long one (shown with -v).
 */
export class RunbookError extends Error {
  readonly code: string = 'RUNBOOK';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input found before anything ran: usage, YAML, schema, module parameters, inventory. */
export class ConfigError extends RunbookError {
  override readonly code = 'CONFIG';
  constructor(
    message: string,
    readonly pos?: SourcePos,
    readonly schemaPath?: string,
    options?: { cause?: unknown },
  ) {
    super(pos ? `${formatPos(pos)}: ${message}` : message, options);
  }
}

/** Several config errors found at once (ajv allErrors, a whole playbook checked). */
export class ConfigErrors extends RunbookError {
  override readonly code = 'CONFIG';
  constructor(readonly errors: ConfigError[]) {
    super(errors.map((e) => e.message).join('\n'));
  }
}

/** A template or expression that cannot be rendered (undefined variable, syntax). */
export class TemplateError extends RunbookError {
  override readonly code = 'TEMPLATE';
  constructor(
    message: string,
    readonly pos?: SourcePos,
    readonly variable?: string,
    options?: { cause?: unknown },
  ) {
    super(pos ? `${formatPos(pos)}: ${message}` : message, options);
  }
}

/** A host that cannot be reached or refused us (host key, auth, timeout). */
export class ConnectionError extends RunbookError {
  override readonly code = 'CONNECTION';
  constructor(
    readonly host: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${host}: ${message}`, options);
  }
}

/** A command that ran and failed where success was required. */
export class CommandError extends RunbookError {
  override readonly code = 'COMMAND';
  constructor(
    readonly host: string,
    readonly argv: readonly string[] | string,
    readonly exitCode: number | null,
    readonly stderr: string,
    message?: string,
  ) {
    const shown = typeof argv === 'string' ? argv : argv.join(' ');
    const tail = stderr.trim().split('\n').slice(-5).join('\n');
    super(
      `${host}: ${message ?? 'command failed'}: ${shown} (exit ${exitCode ?? 'signal'})${tail ? `\n${tail}` : ''}`,
    );
  }
}

/** Another run holds the inventory's lock. */
export class LockError extends RunbookError {
  override readonly code = 'LOCK';
}

/** A module reports a failure it detected (not a bug): becomes the task's `failed` result. */
export class ModuleError extends RunbookError {
  override readonly code = 'MODULE';
  constructor(
    message: string,
    readonly result: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
