// `pimops shell`: an interactive, read-only SQL prompt. It works on a snapshot copy of the database,
// so it never holds a lock the scheduled run needs, and its connection is sandboxed (no writes, no
// file access). Multi-line input ends with ';'. Ctrl-C cancels a running query and stays.
import { createInterface, type Interface } from 'node:readline';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Db, requireDatabase } from '../core/db.js';
import { allQueries, getQuery, runQueryJson } from '../queries/registry.js';
import { renderRows, FORMATS, type Format } from '../reports/format.js';
import type { Config } from '../core/config.js';
import { configParams } from '../queries/params.js';

const HELP = `Type SQL ending with ';' (it may span lines). The database is a read-only snapshot copy.
.tables                 list tables
.schema NAME            columns of a table
.queries                the saved queries and their parameters
.query ID k=v …         run a saved query (from/to/as_of and thresholds default from the config)
.format table|csv|json|ndjson|markdown
.output FILE | stdout   send results to a file, or back to the screen
.help  .quit            (Ctrl-C cancels a running query; Ctrl-D quits)
`;

export async function runShell(dbPath: string, config: Config, io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream } = { input: process.stdin, output: process.stdout }): Promise<void> {
  requireDatabase(dbPath);
  const dir = mkdtempSync(join(tmpdir(), 'pimops-shell-'));
  const copy = join(dir, 'snapshot.duckdb');
  copyFileSync(dbPath, copy);
  if (existsSync(`${dbPath}.wal`)) copyFileSync(`${dbPath}.wal`, `${copy}.wal`);
  const db = await Db.openReadOnly(copy);
  const say = (s: string) => io.output.write(s);
  let format: Format = 'table';
  let outFile: string | undefined;
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
    appendFileSync(historyFile, statement + '\n', { mode: 0o600 });
  };

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
    if (outFile) {
      appendFileSync(outFile, text, { mode: 0o600 });
      say(`(${rows.length} rows written to ${outFile})\n`);
    } else say(text);
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
        outFile = !args[0] || args[0] === 'stdout' ? undefined : resolve(args[0]);
        if (outFile) writeFileSync(outFile, '', { mode: 0o600 });
        say(outFile ? `output: ${outFile}\n` : 'output: screen\n');
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
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
