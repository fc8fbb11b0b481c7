// `pimops shell`: an interactive, read-only SQL prompt. It works on a snapshot copy of the database,
// so it never holds a lock the scheduled run needs, and its connection is sandboxed (no writes, no
// file access). Multi-line input ends with ';'. Ctrl-C cancels a running query and stays.
// The snapshot is a copy of the whole store: it is removed however the shell ends (quit, an error, a
// signal), and no statement can take the shell down with it. Everything shown on the screen passes
// terminalText: data, and DuckDB errors that quote data, cannot send escape sequences to the terminal.
import { createInterface, type Interface } from 'node:readline';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Db, requireDatabase } from '../core/db.js';
import { PimopsError } from '../core/errors.js';
import { allQueries } from '../queries/registry.js';
import type { Format } from '../reports/format.js';
import { terminalText } from '../reports/neutralise.js';
import { emitRowStream, type RowStream } from '../reports/emit.js';
import { AtomicFile } from '../core/output.js';
import { runAdHoc } from '../core/adhoc.js';
import type { Config } from '../core/config.js';
import { completer, dotCommand, type DotState } from './shell-commands.js';

export async function runShell(
  dbPath: string,
  config: Config,
  io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream } = {
    input: process.stdin,
    output: process.stdout,
  },
): Promise<void> {
  requireDatabase(dbPath);
  const dir = mkdtempSync(join(tmpdir(), 'pimops-shell-'));
  const held: Held = {};
  const removeSnapshot = () => rmSync(dir, { recursive: true, force: true });
  // A signal ends the process without running `finally`: the results sent to .output so far are put
  // in place, the snapshot removed, and the process ends as the signal asked.
  const onSignal = (signal: NodeJS.Signals) => {
    try {
      held.out?.commit();
    } catch {
      /* the snapshot is removed either way */
    }
    try {
      held.db?.close();
    } catch {
      /* closing is best effort: the files go below */
    }
    removeSnapshot();
    process.exit(128 + (signal === 'SIGHUP' ? 1 : signal === 'SIGINT' ? 2 : 15));
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, onSignal);
  process.on('exit', removeSnapshot);
  try {
    await session(dbPath, dir, config, io, held);
  } finally {
    for (const s of signals) process.off(s, onSignal);
    process.off('exit', removeSnapshot);
    try {
      held.db?.close();
    } finally {
      removeSnapshot();
    }
  }
}

/** What the shell holds open, for whoever ends it: the snapshot's database and the .output file. */
interface Held {
  db?: Db;
  out?: AtomicFile;
}

async function session(
  dbPath: string,
  dir: string,
  config: Config,
  io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream },
  held: Held,
): Promise<void> {
  const copy = join(dir, 'snapshot.duckdb');
  copyFileSync(dbPath, copy);
  if (existsSync(`${dbPath}.wal`)) copyFileSync(`${dbPath}.wal`, `${copy}.wal`);
  let db = (held.db = await Db.openReadOnly(copy));
  const say = (s: string) => io.output.write(terminalText(s, { multiline: true }));
  let format: Format = 'table';
  const historyFile = process.env.PIMOPS_HISTORY ?? join(homedir(), '.pimops_history');
  const history = existsSync(historyFile)
    ? readFileSync(historyFile, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 1000)
    : [];
  const tables = (await db.all<{ name: string }>(`SELECT table_name AS name FROM duckdb_tables() ORDER BY 1`)).map(
    (r) => r.name,
  );
  const queryNames = [...allQueries().keys()];

  const rl: Interface = createInterface({
    input: io.input,
    output: io.output,
    terminal: true,
    history,
    historySize: 1000,
    removeHistoryDuplicates: true,
    completer: completer(() => db, tables, queryNames),
  });
  // One history entry per statement, however many lines it took to type.
  const remember = (statement: string, lines: number) => {
    const h = (rl as unknown as { history: string[] }).history;
    h.splice(0, lines, statement);
    try {
      appendFileSync(historyFile, statement + '\n', { mode: 0o600 });
    } catch (err) {
      // A history that cannot be written must not end the session (it ran outside the statement's try).
      if (!historyFailed) say(`history not saved to ${historyFile}: ${(err as Error).message.split('\n')[0]}\n`);
      historyFailed = true;
    }
  };
  let historyFailed = false;

  let buffer = '';
  let bufferLines = 0;
  let running = false;
  const prompt = () => rl.setPrompt(buffer ? '   ...> ' : 'pimops> ');
  rl.on('SIGINT', () => {
    if (running) {
      db.conn.interrupt();
      return;
    }
    buffer = '';
    bufferLines = 0;
    say('^C\n');
    prompt();
    rl.prompt();
  });

  /** Results stream to the screen or the .output file (a table shows its first 1,000 rows and counts the rest). */
  const emit = async (res: RowStream) => {
    const out = held.out;
    const r = await emitRowStream(res, { format, fallback: 'table' }, out ? (t) => out.write(t) : say);
    if (out) say(`(${r.rows} rows to ${out.path})\n`);
  };
  /** Puts the .output file in place (temp + rename, 0600, never through a link). */
  const closeOutput = () => {
    const f = held.out;
    held.out = undefined;
    f?.commit();
  };

  const state: DotState = {
    config,
    tables,
    say,
    db: () => db,
    format: () => format,
    setFormat: (f) => (format = f),
    emit,
    setOutput: (path) => {
      closeOutput();
      if (path) held.out = new AtomicFile(path);
      return held.out?.path;
    },
  };
  say(`pimops shell: read-only snapshot of ${resolve(dbPath)}. .help for commands, Ctrl-D to quit.\n`);
  prompt();
  rl.prompt();
  try {
    for await (const line of rl) {
      if (!buffer && line.trim().startsWith('.')) {
        remember(line.trim(), 1);
        try {
          if (!(await dotCommand(state, line))) break;
        } catch (err) {
          say(`error: ${(err as Error).message.split('\n')[0]}\n`);
        }
      } else if (line.trim() || buffer) {
        buffer += (buffer ? '\n' : '') + line;
        bufferLines++;
        if (buffer.trim().endsWith(';')) {
          const sql = buffer;
          remember(
            sql
              .split('\n')
              .map((l) => l.trim())
              .join(' '),
            bufferLines,
          );
          buffer = '';
          bufferLines = 0;
          running = true;
          try {
            await emit(await runAdHoc(db, sql, { timeoutSeconds: config.sql.timeoutSeconds, sandboxed: true }));
          } catch (err) {
            const msg = (err as Error).message.split('\n')[0];
            const code = err instanceof PimopsError ? err.code : undefined;
            if (/interrupt/i.test(msg) && !/ran longer/.test(msg)) say('query cancelled\n');
            else if (code === 'sql-not-read-only')
              say(`refused: the shell is read-only and cannot reach files or settings (${msg})\n`);
            else if (/read-only|Permission Error|disabled by configuration|lock_configuration/i.test(msg))
              say(`refused: the shell is read-only and cannot reach files or settings (${msg})\n`);
            else say(`error: ${msg}\n`);
            // A failed statement can leave the connection failing every later one (a refused
            // enable_logging does): then the snapshot is opened again rather than the shell lost.
            if (
              !(await db.all('SELECT 1').then(
                () => true,
                () => false,
              ))
            ) {
              try {
                db.close();
              } catch {
                /* replaced below either way */
              }
              try {
                db = held.db = await Db.openReadOnly(copy);
                say('(the statement left the session unusable: the snapshot was opened again)\n');
              } catch (reopen) {
                say(
                  `error: the snapshot cannot be opened again (${(reopen as Error).message.split('\n')[0]}); .quit and start the shell again\n`,
                );
              }
            }
          } finally {
            running = false;
          }
        }
      }
      prompt();
      rl.prompt();
    }
  } finally {
    rl.close();
    try {
      closeOutput();
    } catch (err) {
      say(`error: ${(err as Error).message.split('\n')[0]}\n`);
    }
  }
}
