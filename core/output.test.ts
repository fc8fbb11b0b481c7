import { describe, expect, it } from 'vitest';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtomicFile, writeFileAtomic } from './output.js';
import { registerSecret } from './redact.js';
import { PimopsError } from './errors.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'pimops-output-'));

describe('writeFileAtomic', () => {
  it('never writes through a symbolic link: the link target keeps its content', () => {
    const dir = fresh();
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, join(dir, 'out.csv'));
    expect(() => writeFileAtomic(join(dir, 'out.csv'), 'a,b\n')).toThrow(/symbolic link/);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(readdirSync(dir).sort()).toEqual(['out.csv', 'victim.txt']);
  });

  it('replaces an existing file with a 0600 one, whatever mode the old one had', () => {
    const dir = fresh();
    const target = join(dir, 'out.csv');
    writeFileSync(target, 'old');
    chmodSync(target, 0o666);
    writeFileAtomic(target, 'new');
    expect(readFileSync(target, 'utf8')).toBe('new');
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });

  it('creates a missing parent folder', () => {
    const dir = fresh();
    const target = join(dir, 'a', 'b', 'out.md');
    writeFileAtomic(target, '# x\n');
    expect(readFileSync(target, 'utf8')).toBe('# x\n');
  });

  it('a failed write leaves no temp file and says output-unwritable', () => {
    const dir = fresh();
    mkdirSync(join(dir, 'taken'));
    writeFileSync(join(dir, 'taken', 'x'), '');
    let err: unknown;
    try {
      writeFileAtomic(join(dir, 'taken'), 'data'); // a folder is in the way: the rename fails
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PimopsError);
    expect((err as PimopsError).code).toBe('output-unwritable');
    expect(readdirSync(dir)).toEqual(['taken']);
  });

  it('masks registered secrets in text, not in bytes asked to stay exact', () => {
    const dir = fresh();
    registerSecret('s3cr3t-value-123');
    writeFileAtomic(join(dir, 'a.txt'), 'key=s3cr3t-value-123');
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('key=[redacted]');
    const f = new AtomicFile(join(dir, 'b.txt'));
    f.write('x ');
    f.write('s3cr3t-value-123');
    f.commit();
    expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('x [redacted]');
  });

  it('abort removes the temp file and leaves the old target alone', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'r.html'), 'old');
    const f = new AtomicFile(join(dir, 'r.html'));
    f.write('half');
    f.abort();
    expect(readdirSync(dir)).toEqual(['r.html']);
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toBe('old');
  });
});
