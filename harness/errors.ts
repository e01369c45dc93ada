/**
 * One error class per failure kind, each with a stable `code` callers branch on (never on message
 * text), and the process exit code it maps to. Exit codes are part of the CLI contract:
 *   0 pass (or a run with no policy that completed), 1 fail, 2 inconclusive (incl. interrupted runs),
 *   3 config or harness error, 4 verdict reached but one of its hooks failed (the verdict is still
 *   printed and recorded in run.json; CI can tell "rolled back" from "rollback failed").
 */
export const ExitCode = { pass: 0, fail: 1, inconclusive: 2, error: 3, hookFailed: 4 } as const;

export type ErrorCode =
  | 'PARITY_CONFIG_INVALID'
  | 'PARITY_CONFIG_UNREADABLE'
  | 'PARITY_PREFLIGHT_FAILED'
  | 'PARITY_RUN_FILE_INVALID'
  | 'PARITY_RUN_SCHEMA_UNSUPPORTED'
  | 'PARITY_HARNESS_ERROR'
  | 'PARITY_OUTPUT_FAILED'
  | 'PARITY_PROFILE_MISMATCH'
  | 'PARITY_SEGMENT_MISMATCH'
  | 'PARITY_USAGE';

export class ParityError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number = ExitCode.error;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'ParityError';
  }
}

/** One problem in a config file: where it is (dotted path), what was wrong, what was expected. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** A config (or policy, or scenario) file that cannot be used. Carries every issue found, not just the first. */
export class ConfigError extends ParityError {
  readonly file: string;
  readonly issues: ConfigIssue[];
  constructor(file: string, found: ConfigIssue[]) {
    // The same problem found twice (a route's placeholder checked for each target) is said once.
    const seen = new Set<string>();
    const issues = found.filter((i) => !seen.has(`${i.path}\0${i.message}`) && !!seen.add(`${i.path}\0${i.message}`));
    super('PARITY_CONFIG_INVALID', formatIssues(file, issues));
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

export class PreflightError extends ParityError {
  constructor(message: string) {
    super('PARITY_PREFLIGHT_FAILED', message);
    this.name = 'PreflightError';
  }
}

/** A file parity writes could not be written (disk full, read-only, no permission): a harness error, exit 3. */
export class OutputError extends ParityError {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super('PARITY_OUTPUT_FAILED', message, options);
    this.name = 'OutputError';
    this.file = file;
  }
}

export class UsageError extends ParityError {
  constructor(message: string) {
    super('PARITY_USAGE', message);
    this.name = 'UsageError';
  }
}

/** No single message or path echoes a huge input whole (a 50 MB value in a config). */
const MAX_ISSUE_CHARS = 1000;
const cap = (s: string) => (s.length > MAX_ISSUE_CHARS ? `${s.slice(0, MAX_ISSUE_CHARS)}… (${s.length} characters in all)` : s);

export function formatIssues(file: string, issues: ConfigIssue[]): string {
  const lines = issues.map((i) => `  ✖ ${cap(i.message)}\n    → at ${cap(i.path || '(root)')}`);
  const noun = issues.length === 1 ? 'problem' : 'problems';
  return `${file}: ${issues.length} ${noun}; nothing was sent.\n${lines.join('\n')}`;
}
