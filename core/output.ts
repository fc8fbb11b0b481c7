// Every file pimops writes for a person (reports, query results, exports, state) goes through here:
// a temp file beside the target, flushed, then renamed over it, so a killed run never leaves half a
// file; mode 0600, because audit data names people; never through a symbolic link, because a link
// planted where an output goes would redirect the write (and a truncation) to its target; and text
// passes the registered-secret redactor, so one rule covers every output.
import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PimopsError, WRITE_FAILURES } from './errors.js';
import { redactRegistered } from './redact.js';

const WHY: Record<string, string> = {
  ...WRITE_FAILURES,
  EEXIST: 'a part of the path is a file, not a folder',
  ELOOP: 'the path is a symbolic link',
  ENOENT: 'its folder cannot be created',
};

function unwritable(target: string, err: unknown): PimopsError {
  if (err instanceof PimopsError) return err;
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  const why = WHY[code] ?? (err instanceof Error ? err.message.split('\n')[0] : String(err));
  return new PimopsError('output-unwritable', `Cannot write ${target}: ${why}. Nothing was left half-written.`, {
    cause: err,
  });
}

function refuseLink(target: string): void {
  let isLink = false;
  try {
    isLink = lstatSync(target).isSymbolicLink();
  } catch {
    return; // absent: fine
  }
  if (isLink) {
    throw new PimopsError(
      'output-unwritable',
      `Cannot write ${target}: it is a symbolic link, and pimops never writes through one. Remove it or choose another path.`,
    );
  }
}

/** A file being written: chunks go to a private temp file; commit() puts it in place, abort() removes it. */
export class AtomicFile {
  readonly path: string;
  private readonly tmp: string;
  private fd: number | null;
  private bytes = 0;

  constructor(
    path: string,
    private readonly options: { redact?: boolean } = {},
  ) {
    this.path = resolve(path);
    this.tmp = join(dirname(this.path), `.${basename(this.path)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      refuseLink(this.path);
      // O_EXCL + O_NOFOLLOW: the temp name cannot be pre-planted as a link either.
      this.fd = openSync(
        this.tmp,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o600,
      );
    } catch (err) {
      throw unwritable(this.path, err);
    }
  }

  get written(): number {
    return this.bytes;
  }

  write(chunk: string | Uint8Array): void {
    if (this.fd === null) throw new PimopsError('internal', `${this.path} is already closed`);
    const data =
      typeof chunk === 'string' ? Buffer.from(this.options.redact === false ? chunk : redactRegistered(chunk)) : chunk;
    try {
      let off = 0;
      while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
      this.bytes += data.length;
    } catch (err) {
      this.abort();
      throw unwritable(this.path, err);
    }
  }

  commit(): string {
    if (this.fd === null) throw new PimopsError('internal', `${this.path} is already closed`);
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = null;
      refuseLink(this.path);
      renameSync(this.tmp, this.path);
      return this.path;
    } catch (err) {
      this.abort();
      throw unwritable(this.path, err);
    }
  }

  abort(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        /* already failing: the temp file is removed below either way */
      }
      this.fd = null;
    }
    rmSync(this.tmp, { force: true });
  }
}

/** Writes a whole file atomically (see AtomicFile); returns its absolute path. */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: { redact?: boolean } = {}): string {
  const f = new AtomicFile(path, options);
  f.write(data);
  return f.commit();
}
