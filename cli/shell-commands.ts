// The shell's dot commands and tab completion: what it offers besides SQL.
import type { Db } from '../core/db.js';
import type { RowStream } from '../reports/emit.js';
import type { Config } from '../core/config.js';
import { allQueries, getQuery, streamQuery } from '../queries/registry.js';
import { configParams } from '../queries/params.js';
import { FORMATS, type Format } from '../reports/format.js';

export const HELP = `Type SQL ending with ';' (it may span lines). The database is a read-only snapshot copy.
.tables                 list tables
.schema NAME            columns of a table
.queries                the saved queries and their parameters
.query ID k=v …         run a saved query (from/to/as_of and thresholds default from the config)
.format table|csv|json|ndjson|markdown
.output FILE | stdout   send results to a file (put in place, mode 0600, when output changes or the shell ends), or back to the screen
.help  .quit            (Ctrl-C cancels a running query; Ctrl-D quits)
`;

/** What a dot command may read and change in the session. */
export interface DotState {
  config: Config;
  tables: string[];
  say: (text: string) => void;
  db: () => Db;
  format: () => Format;
  setFormat: (f: Format) => void;
  emit: (rows: RowStream) => Promise<void>;
  /** Closes any .output file, opens one at `path` when given; returns the open path. */
  setOutput: (path: string | undefined) => string | undefined;
}

/** Runs one dot command; false means quit. */
export async function dotCommand(st: DotState, cmd: string): Promise<boolean> {
  // Words, with k="quoted values" kept whole: .query who_held_role_at role="Global Administrator" at=…
  const [name, ...args] = [...cmd.trim().matchAll(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g)].map((m) =>
    m[0].replace(/(=)?["']([^"']*)["']$/, '$1$2'),
  );
  switch (name) {
    case '.quit':
    case '.exit':
      return false;
    case '.help':
      st.say(HELP);
      break;
    case '.tables':
      st.say(st.tables.join('\n') + '\n');
      break;
    case '.schema': {
      if (!args[0]) {
        st.say('usage: .schema TABLE\n');
        break;
      }
      const rows = await st
        .db()
        .all<{ column_name: string; data_type: string }>(
          `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $t ORDER BY ordinal_position`,
          { t: args[0] },
        );
      st.say(
        rows.length ? rows.map((r) => `  ${r.column_name} ${r.data_type}`).join('\n') + '\n' : `no table ${args[0]}\n`,
      );
      break;
    }
    case '.queries':
      for (const q of allQueries().values())
        st.say(`${q.id}(${q.parameters.map((p) => p.name).join(', ')}): ${q.title}\n`);
      break;
    case '.query': {
      const q = getQuery(args[0] ?? '');
      const defaults = configParams(st.config);
      const params: Record<string, unknown> = Object.fromEntries(
        q.parameters.filter((p) => p.name in defaults).map((p) => [p.name, defaults[p.name]]),
      );
      for (const kv of args.slice(1)) {
        const i = kv.indexOf('=');
        params[kv.slice(0, i)] = kv.slice(i + 1);
      }
      await st.emit(await streamQuery(st.db(), q.id, params));
      break;
    }
    case '.format':
      if ((FORMATS as readonly string[]).includes(args[0])) {
        st.setFormat(args[0] as Format);
        st.say(`format: ${st.format()}\n`);
      } else st.say(`formats: ${FORMATS.join(', ')}\n`);
      break;
    case '.output':
      {
        const path = st.setOutput(args[0] && args[0] !== 'stdout' ? args[0] : undefined);
        st.say(path ? `output: ${path} (written when output changes or the shell ends)\n` : 'output: screen\n');
      }
      break;
    default:
      st.say(`unknown command ${name}: .help lists them\n`);
  }
  return true;
}

type Completion = (line: string, cb: (err: Error | null, result: [string[], string]) => void) => void;

/** Dot commands, table, query and format names, and DuckDB's own SQL completion. */
export function completer(db: () => Db, tables: string[], queryNames: string[]): Completion {
  return (line: string, cb: (err: Error | null, result: [string[], string]) => void) => {
    const last = line.split(/\s+/).pop() ?? '';
    if (line.startsWith('.')) {
      const words = ['.tables', '.schema', '.queries', '.query', '.format', '.output', '.help', '.quit'];
      const pool = /^\.(schema)\s/.test(line)
        ? tables
        : /^\.(query)\s/.test(line)
          ? queryNames
          : /^\.format\s/.test(line)
            ? [...FORMATS]
            : words;
      return cb(null, [pool.filter((w) => w.startsWith(last)), last]);
    }
    db()
      .all<{ suggestion: string; suggestion_start: number }>(
        `SELECT suggestion, suggestion_start FROM sql_auto_complete($q) LIMIT 30`,
        { q: line },
      )
      .then((rows) => {
        const start = rows[0]?.suggestion_start ?? line.length;
        const word = line.slice(start);
        // DuckDB ranks fuzzy matches too; offer the ones that extend what was typed when there are any.
        const prefixed = rows.map((r) => r.suggestion).filter((x) => x.toLowerCase().startsWith(word.toLowerCase()));
        cb(null, [prefixed.length ? prefixed : rows.map((r) => r.suggestion), word]);
      })
      .catch(() => cb(null, [[], last]));
  };
}
