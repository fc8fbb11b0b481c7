// Issue 17 in `pimops shell` (items 1, 3, 6 and 8), against the real CLI process: .output is written
// like every output (temp + rename, 0600, never through a symbolic link), formula cells are text,
// escape sequences from data are shown and not sent, one statement cannot end or break the session,
// and the snapshot copy of the store is removed however the shell ends, signals included.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateTenant, emitFiles } from '../fixtures/generator/index.js';
import { importPaths } from '../cli/pipeline.js';
import { tempDir, testConfig } from './helpers.js';

const tmp = tempDir('pimops-shell-safety-');
const bin = resolve('bin/pimops.js');
let db: string;

beforeAll(async () => {
  const t = generateTenant({ seed: 9, admins: 3, start: new Date('2026-06-01T00:00:00Z'), days: 5 });
  emitFiles(t.records, t.tenant.id, { dir: join(tmp.dir, 'in'), seed: 9 });
  db = join(tmp.dir, 'p.duckdb');
  await importPaths(db, testConfig({}, tmp.dir), [join(tmp.dir, 'in')]);
});
afterAll(() => tmp.cleanup());

interface Shell {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  until: (re: RegExp) => Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  snapshots: () => string[];
}

/** The shell as a process of its own, with a private temp folder to look for its snapshot in. */
function shell(name: string, opts: { db?: string; history?: string } = {}): Shell {
  const dir = join(tmp.dir, name);
  const tmpdir = join(dir, 'tmp');
  mkdirSync(tmpdir, { recursive: true });
  const child = spawn(process.execPath, [bin, '--db', opts.db ?? db, 'shell'], {
    cwd: dir,
    env: { ...process.env, TMPDIR: tmpdir, PIMOPS_HISTORY: opts.history ?? join(dir, 'history') },
  });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (text += d.toString('utf8')));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.on('exit', (code, signal) => ok({ code, signal })),
  );
  const until = async (re: RegExp) => {
    const end = Date.now() + 30_000;
    while (!re.test(text)) {
      if (Date.now() > end) throw new Error(`never saw ${re}:\n${text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    child,
    out: () => text,
    until,
    exit,
    snapshots: () => readdirSync(tmpdir).filter((f) => f.startsWith('pimops-shell-')),
  };
}

/** Runs lines through a shell to its end; returns what it printed. */
async function session(
  name: string,
  lines: string[],
  opts: { db?: string; history?: string } = {},
): Promise<{ text: string; code: number | null; snapshots: string[] }> {
  const s = shell(name, opts);
  s.child.stdin.end(lines.join('\n') + '\n');
  const { code } = await s.exit;
  return { text: s.out(), code, snapshots: s.snapshots() };
}

describe('pimops shell, hostile data and hostile ends', () => {
  it('.output never writes through a symbolic link: the link target keeps its content', async () => {
    const dir = join(tmp.dir, 'link');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'victim.txt'), 'precious\n');
    symlinkSync(join(dir, 'victim.txt'), join(dir, 'out.csv'));
    const r = await session('link', ['.output out.csv', '.format csv', 'SELECT 1 AS one;', '.quit']);
    expect(r.text).toMatch(/error: Cannot write .*out\.csv: it is a symbolic link/);
    expect(readFileSync(join(dir, 'victim.txt'), 'utf8')).toBe('precious\n');
  });

  it('.output replaces an existing 0666 file with a 0600 one holding formula-safe CSV', async () => {
    const dir = join(tmp.dir, 'mode');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'out.csv'), 'old\n');
    chmodSync(join(dir, 'out.csv'), 0o666);
    const r = await session('mode', [
      '.output out.csv',
      '.format csv',
      "SELECT '-1+1' AS f, '-2+3+cmd|'' /C calc''!A0' AS g, -5 AS n;",
      '.output stdout',
      '.quit',
    ]);
    expect(r.code).toBe(0);
    expect(statSync(join(dir, 'out.csv')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'out.csv'), 'utf8')).toBe(`f,g,n\n'-1+1,'-2+3+cmd|' /C calc'!A0,-5\n`);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('shows escape sequences from data on the screen, in a table, in CSV and in error messages', async () => {
    const hostile = "chr(27) || '[2J' || chr(27) || ']52;c;ZXZpbA==' || chr(7) || chr(155) || '31m' || chr(8238)";
    const r = await session('screen', [
      `SELECT ${hostile} AS x;`,
      '.format csv',
      `SELECT ${hostile} AS y;`,
      `SELECT (${hostile})::INTEGER;`,
      '.quit',
    ]);
    // readline draws its prompt with cursor moves and echoes input with CR; the rest is data.
    const screen = r.text.replace(/\x1b\[\d*[GJ]/g, '').replace(/\r\n/g, '\n');
    expect(screen).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(screen.match(/\\x1b\[2J\\x1b\]52;c;ZXZpbA==\\x07\\x9b31m\\u202e/g)).toHaveLength(3);
  });

  it('a statement that breaks the connection, and a history file that cannot be written, do not end or spoil the session', async () => {
    const r = await session(
      'breaks',
      [
        "SELECT 1; CALL enable_logging(storage='file', storage_path='logs'); SELECT 2;",
        'SELECT 40 + 2 AS answer;',
        '.quit',
      ],
      { history: join(tmp.dir, 'no-such-folder', 'history') },
    );
    expect(r.text).toMatch(/refused: the shell is read-only/);
    expect(r.text).toMatch(/history not saved/);
    expect(r.text).toMatch(/│ 42 +│/);
    expect(r.code).toBe(0);
    expect(r.snapshots).toEqual([]);
  });

  it('removes the snapshot when the store cannot be opened', async () => {
    const bad = join(tmp.dir, 'not-a-store.duckdb');
    writeFileSync(bad, 'this is not a DuckDB file'.repeat(1000));
    const r = await session('bad', ['.quit'], { db: bad });
    expect(r.code).not.toBe(0);
    expect(r.snapshots).toEqual([]);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
    ['SIGINT', 130],
  ] as const)('removes the snapshot on %s', async (signal, code) => {
    const s = shell(`signal-${signal}`);
    await s.until(/pimops> /);
    expect(s.snapshots()).toHaveLength(1);
    s.child.kill(signal);
    expect((await s.exit).code).toBe(code);
    expect(s.snapshots()).toEqual([]);
  });
});
