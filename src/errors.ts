// One error family for all of podgen. Every failure a user can cause carries
// enough data (file:line, key, command, exit code, stderr, hint) to be acted on
// without a stack trace. Only src/cli/main.ts turns these into an exit code.

/** Documented process exit codes (sysexits.h where one fits). */
export const ExitCode = {
  ok: 0,
  usage: 1,
  badDefinition: 65, // EX_DATAERR
  notFound: 66, // EX_NOINPUT
  unavailable: 69, // EX_UNAVAILABLE: registry down, store locked
  internal: 70, // EX_SOFTWARE
  cantWrite: 73, // EX_CANTCREAT
  noPermission: 77, // EX_NOPERM: registry refused our credentials
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type Severity = 'error' | 'warning';

/** One problem found in a definition, located as precisely as we can. */
export interface Diagnostic {
  readonly severity: Severity;
  readonly file: string;
  readonly line?: number;
  /** 1-based, where the position is finer than a line (YAML files). */
  readonly column?: number;
  readonly section?: string;
  readonly key?: string;
  readonly message: string;
  readonly hint?: string;
}

export type ErrorKind = 'usage' | 'definition' | 'not-found' | 'output' | 'internal' | 'unavailable' | 'auth' | 'integrity';

export interface PodgenErrorData {
  readonly kind: ErrorKind;
  readonly file?: string;
  readonly line?: number;
  readonly key?: string;
  readonly command?: readonly string[];
  readonly exitStatus?: number;
  readonly stderr?: string;
  readonly hint?: string;
  readonly diagnostics?: readonly Diagnostic[];
  readonly cause?: unknown;
}

export class PodgenError extends Error {
  readonly data: PodgenErrorData;
  constructor(message: string, data: PodgenErrorData) {
    super(message);
    this.name = 'PodgenError';
    this.data = data;
  }

  /** The exit code the entry point should use for this error. */
  get exitCode(): ExitCodeValue {
    switch (this.data.kind) {
      case 'usage':
        return ExitCode.usage;
      case 'definition':
        return ExitCode.badDefinition;
      case 'not-found':
        return ExitCode.notFound;
      case 'output':
        return ExitCode.cantWrite;
      case 'internal':
        return ExitCode.internal;
      case 'unavailable':
        return ExitCode.unavailable;
      case 'auth':
        return ExitCode.noPermission;
      case 'integrity':
        return ExitCode.badDefinition;
      default: {
        const never: never = this.data.kind;
        return never;
      }
    }
  }
}

/** A screenful: past this, more messages only bury the first ones, which are usually the cause. */
export const MAX_DIAGNOSTICS_SHOWN = 20;

/** Longest message or hint shown whole: a value quoted in it may be a whole line of some file given by mistake. */
export const MAX_MESSAGE_CHARS = 400;

/** The text, or its start and end with the middle left out (the end says what to do). */
export function clipText(text: string, max = MAX_MESSAGE_CHARS): string {
  if (text.length <= max) return text;
  const tail = Math.floor(max / 3);
  const head = max - tail;
  return `${text.slice(0, head)} [... ${text.length - head - tail} characters left out ...] ${text.slice(text.length - tail)}`;
}

/** "file:line: message" — the form editors and CI logs can jump to. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line !== undefined ? `${d.file}:${d.line}${d.column !== undefined ? `:${d.column}` : ''}` : d.file;
  const prefix = d.severity === 'warning' ? 'warning: ' : '';
  const hint = d.hint ? `\n  hint: ${clipText(d.hint)}` : '';
  return `${where}: ${prefix}${clipText(d.message)}${hint}`;
}

export function definitionError(diagnostics: readonly Diagnostic[]): PodgenError {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const first = errors[0];
  const summary = errors.length === 1 ? '1 problem' : `${errors.length} problems`;
  return new PodgenError(`definition rejected (${summary}); nothing was written`, {
    kind: 'definition',
    file: first?.file,
    line: first?.line,
    key: first?.key,
    diagnostics,
  });
}

/** Render any error for a human on stderr: never a stack trace for expected failures. */
export function describeError(err: unknown): string {
  if (err instanceof PodgenError) {
    const lines: string[] = [];
    const shown = err.data.diagnostics ?? [];
    for (const d of shown.slice(0, MAX_DIAGNOSTICS_SHOWN)) lines.push(formatDiagnostic(d));
    if (shown.length > MAX_DIAGNOSTICS_SHOWN) lines.push(`... and ${shown.length - MAX_DIAGNOSTICS_SHOWN} more, not shown: fix these first`);
    const where = err.data.diagnostics?.length
      ? ''
      : err.data.file
        ? `${err.data.file}${err.data.line !== undefined ? `:${err.data.line}` : ''}: `
        : '';
    lines.push(`podgen: ${where}${clipText(err.message)}`);
    if (err.data.command) lines.push(`  command: ${err.data.command.join(' ')}`);
    if (err.data.exitStatus !== undefined) lines.push(`  exit status: ${err.data.exitStatus}`);
    if (err.data.stderr) lines.push(`  stderr: ${err.data.stderr.trim()}`);
    if (err.data.hint) lines.push(`  hint: ${clipText(err.data.hint)}`);
    return lines.join('\n');
  }
  if (err instanceof Error) return `podgen: internal error: ${err.stack ?? err.message}`;
  return `podgen: internal error: ${String(err)}`;
}
