// Ad hoc SQL as an analyst runs it, through the real binary: one statement cannot crash the process,
// results stream instead of being held whole, statements are timed out, and --write stays off files.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Db } from '../core/db.js';
import { tempDir } from './helpers.js';

const bin = resolve('bin/pimops.js');
const tmp = tempDir('pimops-sql-');
const dbPath = join(tmp.dir, 'p.duckdb');
afterAll(() => tmp.cleanup());

function pimops(args: string[], nodeArgs: string[] = []) {
  const r = spawnSync(process.execPath, [...nodeArgs, bin, '--db', dbPath, ...args], {
    cwd: tmp.dir,
    encoding: 'utf8',
    maxBuffer: 512 * 2 ** 20,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  const db = await Db.open(dbPath);
  await db.run("CREATE TABLE audit_events AS SELECT 'e' || i AS id FROM range(10) t(i)");
  db.close();
});

describe('pimops sql', () => {
  it('refuses a state-changing call instead of aborting the process (exit 134 before)', () => {
    for (const q of [
      "SELECT 1; CALL enable_logging(storage='file', storage_path='logs'); SELECT 2",
      "SELECT 1; SELECT * FROM enable_logging(storage='file', storage_path='logs')",
    ]) {
      const r = pimops(['sql', q, '--format', 'csv']);
      expect(r.signal).toBeNull();
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('enable_logging changes');
      expect(existsSync(join(tmp.dir, 'logs'))).toBe(false);
    }
  });

  it('runs only SELECT and EXPLAIN in the sandbox, naming the statement it refuses', () => {
    const r = pimops(['sql', 'SELECT 1; DELETE FROM audit_events', '--format', 'csv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('statement 2 is DELETE');
    expect(pimops(['sql', 'SHOW TABLES', '--format', 'csv']).stdout).toContain('audit_events');
    expect(pimops(['sql', 'SELECT 1 AS a; SELECT 2 AS b', '--format', 'csv']).stdout).toBe('b\n2\n');
  });

  it('streams a result far larger than Node may hold (a heap of 96 MB; 2M rows as objects need more)', () => {
    const r = pimops(
      ['sql', "SELECT i, 'x' || i AS s FROM range(2000000) t(i)", '--format', 'csv'],
      ['--max-old-space-size=96'],
    );
    expect(r.code, r.stderr.slice(0, 400)).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('i,s');
    expect(lines[2000000]).toBe('1999999,x1999999');
  });

  it('streams Parquet and Arrow files too: 2M rows under the same 96 MB heap, every row in the file', async () => {
    for (const format of ['parquet', 'arrow']) {
      const out = join(tmp.dir, `big.${format}`);
      const r = pimops(
        ['sql', "SELECT i, 'x' || i AS s FROM range(2000000) t(i)", '--format', format, '--out', out],
        ['--max-old-space-size=96'],
      );
      expect(r.code, r.stderr.slice(0, 400)).toBe(0);
      expect(r.stderr).toContain(`wrote 2000000 rows to ${out} (${format})`);
    }
    const db = await Db.open(':memory:');
    try {
      expect(
        await db.all(`SELECT count(*) AS n, max(i) AS m FROM read_parquet('${join(tmp.dir, 'big.parquet')}')`),
      ).toEqual([{ n: 2000000n, m: 1999999n }]);
    } finally {
      db.close();
    }
  });

  it('shows a table of the first 1,000 rows and says how many were left out', () => {
    const r = pimops(['sql', 'SELECT i FROM range(2500) t(i)', '--format', 'table']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(1000 rows)');
    expect(r.stdout).toContain('1500 more rows not shown');
    expect(r.stdout).not.toMatch(/\b1000\b.*\n.*\b1001\b/);
  });

  it('stops a statement that runs past --timeout', () => {
    const r = pimops(['sql', 'SELECT count(*) FROM range(1000000000000) a', '--timeout', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ran longer than 1 s and was stopped');
  });

  it('keeps file access off under --write unless --allow-files is given too', () => {
    const copy = `COPY audit_events TO '${join(tmp.dir, 'out.csv')}'`;
    const r = pimops(['sql', '--write', copy]);
    expect(r.code).toBe(2);
    expect(existsSync(join(tmp.dir, 'out.csv'))).toBe(false);
    const read = pimops(['sql', '--write', "SELECT * FROM read_text('/etc/passwd')"]);
    expect(read.code).toBe(2);
    expect(read.stdout).not.toContain('root:');
    expect(pimops(['sql', '--write', '--allow-files', copy]).code).toBe(0);
    expect(existsSync(join(tmp.dir, 'out.csv'))).toBe(true);
    expect(pimops(['sql', '--allow-files', 'SELECT 1']).code).toBe(2);
  });
});
