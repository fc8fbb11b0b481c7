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
import { allQueries, getQuery, runQueryJson } from '../queries/registry.js';
import { renderRows, FORMATS, type Format } from '../reports/format.js';
import { terminalText } from '../reports/neutralise.js';
import { AtomicFile } from '../core/output.js';
import type { Config } from '../core/config.js';
import { configParams } from '../queries/params.js';

const HELP = `Type SQL ending with ';' (it may span lines). The database is a read-only snapshot copy.
.tables                 list tables
.schema NAME            columns of a table
.queries                the saved queries and their parameters
.query ID k=v …         run a saved query (from/to/as_of and thresholds default from the config)
.format table|csv|json|ndjson|markdown
.output FILE | stdout   send results to a file (put in place, mode 0600, when output changes or the shell ends), or back to the screen
.help  .quit            (Ctrl-C cancels a running query; Ctrl-D quits)
`;

export async function runShell(dbPath: string, config: Config, io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream } = { input: process.stdin, output: process.stdout }): Promise<void> {
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
interface Held { db?: Db; out?: AtomicFile }

async function session(dbPath: string, dir: string, config: Config, io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream }, held: Held): Promise<void> {
  const copy = join(dir, 'snapshot.duckdb');
  copyFileSync(dbPath, copy);
  if (existsSync(`${dbPath}.wal`)) copyFileSync(`${dbPath}.wal`, `${copy}.wal`);
  let db = (held.db = await Db.openReadOnly(copy));
  const say = (s: string) => io.output.write(terminalText(s, { multiline: true }));
  let format: Format = 'table';
  const historyFile = process.env.PIMOPS_HISTORY ?? join(homedir(), '.pimops_history');
  const history = existsSync(historyFile) ? readFileSync(historyFile, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 1000) : [];
  const tables = (await db.all<{ name: string }>(`SELECT table_name AS name FROM duckdb_tables() ORDER BY 1`)).map((r) => r.name);
  const queryNames = [...allQueries().keys()];

  const rl: Interface = createInterface({
    input: io.input, output: io.output, terminal: true, history, historySize: 1000, removeHistoryDuplicates: true,
    completer: (line: string, cb: (err: Error | null, result: [string[], string]) => void) => {
      const last = line.split(/\s+/).pop() ?? '';
      if (line.startsWith('.')) {
        const words = ['.tables', '.schema', '.queries', '.query', '.format', '.output', '.help', '.quit'];
        const pool = /^\.(schema)\s/.test(line) ? tables : /^\.(query)\s/.test(line) ? queryNames : /^\.format\s/.test(line) ? [...FORMATS] : words;
        return cb(null, [pool.filter((w) => w.startsWith(last)), last]);
      }
      db.all<{ suggestion: string; suggestion_start: number }>(`SELECT suggestion, suggestion_start FROM sql_auto_complete($q) LIMIT 30`, { q: line })
        .then((rows) => {
          const start = rows[0]?.suggestion_start ?? line.length;
          const word = line.slice(start);
          // DuckDB ranks fuzzy matches too; offer the ones that extend what was typed when there are any.
          const prefixed = rows.map((r) => r.suggestion).filter((x) => x.toLowerCase().startsWith(word.toLowerCase()));
          cb(null, [prefixed.length ? prefixed : rows.map((r) => r.suggestion), word]);
        })
        .catch(() => cb(null, [[], last]));
    },
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

  const emit = (columns: string[], rows: Record<string, unknown>[]) => {
    const text = renderRows(columns, rows, format);
    if (held.out) {
      held.out.write(text);
      say(`(${rows.length} rows to ${held.out.path})\n`);
    } else say(text);
  };
  /** Puts the .output file in place (temp + rename, 0600, never through a link). */
  const closeOutput = () => {
    const f = held.out;
    held.out = undefined;
    f?.commit();
  };

  const dot = async (cmd: string): Promise<boolean> => {
    // Words, with k="quoted values" kept whole: .query who_held_role_at role="Global Administrator" at=…
    const [name, ...args] = [...cmd.trim().matchAll(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g)].map((m) => m[0].replace(/(=)?["']([^"']*)["']$/, '$1$2'));
    switch (name) {
      case '.quit': case '.exit': return false;
      case '.help': say(HELP); break;
      case '.tables': say(tables.join('\n') + '\n'); break;
      case '.schema': {
        if (!args[0]) { say('usage: .schema TABLE\n'); break; }
        const rows = await db.all<{ column_name: string; data_type: string }>(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $t ORDER BY ordinal_position`, { t: args[0] });
        say(rows.length ? rows.map((r) => `  ${r.column_name} ${r.data_type}`).join('\n') + '\n' : `no table ${args[0]}\n`);
        break;
      }
      case '.queries':
        for (const q of allQueries().values()) say(`${q.id}(${q.parameters.map((p) => p.name).join(', ')}): ${q.title}\n`);
        break;
      case '.query': {
        const q = getQuery(args[0] ?? '');
        const defaults = configParams(config);
        const params: Record<string, unknown> = Object.fromEntries(q.parameters.filter((p) => p.name in defaults).map((p) => [p.name, defaults[p.name]]));
        for (const kv of args.slice(1)) { const i = kv.indexOf('='); params[kv.slice(0, i)] = kv.slice(i + 1); }
        const res = await runQueryJson(db, q.id, params);
        emit(res.columns, res.rows);
        break;
      }
      case '.format':
        if ((FORMATS as readonly string[]).includes(args[0])) { format = args[0] as Format; say(`format: ${format}\n`); } else say(`formats: ${FORMATS.join(', ')}\n`);
        break;
      case '.output':
        closeOutput();
        if (args[0] && args[0] !== 'stdout') held.out = new AtomicFile(args[0]);
        say(held.out ? `output: ${held.out.path} (written when output changes or the shell ends)\n` : 'output: screen\n');
        break;
      default: say(`unknown command ${name}: .help lists them\n`);
    }
    return true;
  };

  say(`pimops shell: read-only snapshot of ${resolve(dbPath)}. .help for commands, Ctrl-D to quit.\n`);
  prompt();
  rl.prompt();
  try {
    for await (const line of rl) {
      if (!buffer && line.trim().startsWith('.')) {
        remember(line.trim(), 1);
        try {
          if (!(await dot(line))) break;
        } catch (err) {
          say(`error: ${(err as Error).message.split('\n')[0]}\n`);
        }
      } else if (line.trim() || buffer) {
        buffer += (buffer ? '\n' : '') + line;
        bufferLines++;
        if (buffer.trim().endsWith(';')) {
          const sql = buffer;
          remember(sql.split('\n').map((l) => l.trim()).join(' '), bufferLines);
          buffer = '';
          bufferLines = 0;
          running = true;
          try {
            const res = await db.allJsRows(sql);
            emit(res.columns, res.rows);
          } catch (err) {
            const msg = (err as Error).message.split('\n')[0];
            if (/interrupt/i.test(msg)) say('query cancelled\n');
            else if (/read-only|Permission Error|disabled by configuration|lock_configuration/i.test(msg)) say(`refused: the shell is read-only and cannot reach files or settings (${msg})\n`);
            else say(`error: ${msg}\n`);
            // A failed statement can leave the connection failing every later one (a refused
            // enable_logging does): then the snapshot is opened again rather than the shell lost.
            if (!(await db.all('SELECT 1').then(() => true, () => false))) {
              try {
                db.close();
              } catch {
                /* replaced below either way */
              }
              try {
                db = held.db = await Db.openReadOnly(copy);
                say('(the statement left the session unusable: the snapshot was opened again)\n');
              } catch (reopen) {
                say(`error: the snapshot cannot be opened again (${(reopen as Error).message.split('\n')[0]}); .quit and start the shell again\n`);
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
