// The error catalog: every failure a user can see has a stable code, a message written for them,
// and an exit code the CLI maps it to (1 = the run failed, 2 = the user asked for something wrong).

export const ERROR_CODES = {
  'usage': 2,
  'config-invalid': 2,
  'config-unreadable': 2,
  'input-not-found': 2,
  'query-unknown': 2,
  'query-parameter': 2,
  'sql-not-read-only': 2,
  'sql-error': 1,
  'database-missing': 1,
  'database-locked': 1,
  // A store made by an earlier pimops that no writer has opened since: a reader cannot upgrade it.
  'database-outdated': 1,
  'landing-corrupt': 1,
  'credential-missing': 2,
  'azure-auth': 1,
  'azure-permission': 1,
  'azure-request': 1,
  'threshold-breached': 1,
  'data-stale': 1,
  'run-failed': 1,
  // --all-tenants: one or more tenants could not be pulled; the others landed.
  'tenant-failed': 1,
  'output-unwritable': 1,
  'evidence-invalid': 1,
  'internal': 1,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PimopsError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'PimopsError';
  }
  get exitCode(): number {
    return ERROR_CODES[this.code];
  }
}

/** Why a write failed, by errno, in the words the output-unwritable errors use. */
export const WRITE_FAILURES: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'the path is a folder',
};

export function asPimopsError(err: unknown): PimopsError {
  if (err instanceof PimopsError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const e = err as NodeJS.ErrnoException;
  // mkdir -p over a file in the way says EEXIST: the same as a path through a file.
  const errno = e?.code === 'EEXIST' && e.syscall === 'mkdir' ? 'ENOTDIR' : e?.code;
  if (errno && ['ENOSPC', 'EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR', 'EDQUOT'].includes(errno)) {
    const why = WRITE_FAILURES[errno];
    return new PimopsError(
      'output-unwritable',
      `Cannot write ${(err as NodeJS.ErrnoException).path ?? 'the output'}: ${why}. Nothing was left half-written.`,
      { cause: err },
    );
  }
  if (/No space left on device/i.test(message)) {
    return new PimopsError('output-unwritable', `Cannot write: the disk is full (${message.split('\n')[0]}).`, {
      cause: err,
    });
  }
  if (/Could not set lock on file|Conflicting lock is held/i.test(message)) {
    return new PimopsError(
      'database-locked',
      'The database is in use by another process (a running import?). Try again when it finishes.',
      { cause: err },
    );
  }
  return new PimopsError('internal', message, { cause: err });
}

/** An error from ad hoc SQL: the sandbox refusing something is a usage error, anything else a failed query. */
export function sqlError(err: unknown): PimopsError {
  if (err instanceof PimopsError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (
    /read-only mode|read_only|Permission Error|disabled by configuration|lock_configuration|Cannot change/i.test(
      message,
    )
  ) {
    return new PimopsError(
      'sql-not-read-only',
      `Refused: ad hoc SQL is read-only and cannot reach files or settings (${message.split('\n')[0]}). Use --write to change the database.`,
      { cause: err },
    );
  }
  return new PimopsError('sql-error', message.split('\n')[0], { cause: err });
}
