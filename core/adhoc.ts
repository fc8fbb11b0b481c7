// Ad hoc SQL (pimops sql, query, the shell) on a read-only sandboxed session: statements run one at
// a time, only SELECT and EXPLAIN are accepted, functions that change DuckDB's process-wide state
// are refused before they run, and the last statement's rows are streamed in chunks under a time
// limit, so no query can hold every row in Node or run for ever.
import { StatementType, type DuckDBResult } from '@duckdb/node-api';
import type { Db, Row } from './db.js';
import { PimopsError, sqlError } from './errors.js';

/**
 * Functions a SELECT can call that change state outside the query. enable_logging with file storage
 * under the sandbox leaves DuckDB throwing from a destructor, which aborts the whole process (exit
 * 134), so a script naming one is refused before anything runs (a word match on the text: a string
 * literal that names one is refused too, which costs an analyst nothing).
 */
const STATEFUL_FUNCTIONS =
  /\b(enable_logging|disable_logging|truncate_duckdb_logs|enable_profiling|disable_profiling)\b/gi;

export interface AdHocResult {
  columns: string[];
  types: string[];
  /** Row batches (about 2,048 rows each), as JS values; read once. */
  batches: AsyncIterable<Row[]>;
}

const ALLOWED = new Set([StatementType.SELECT, StatementType.EXPLAIN]);

/** Runs every statement of `sql` in order and streams the last one's rows; `timeoutSeconds` bounds the whole run. */
export async function runAdHoc(
  db: Db,
  sql: string,
  opts: { timeoutSeconds: number; sandboxed: boolean },
): Promise<AdHocResult> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    db.conn.interrupt();
  }, opts.timeoutSeconds * 1000);
  timer.unref();
  const fail = (err: unknown): never => {
    clearTimeout(timer);
    if (timedOut) {
      throw new PimopsError(
        'sql-error',
        `The query ran longer than ${opts.timeoutSeconds} s and was stopped (--timeout, sql.timeoutSeconds).`,
      );
    }
    throw sqlError(err);
  };
  try {
    if (opts.sandboxed) {
      const stateful = [...new Set(sql.match(STATEFUL_FUNCTIONS) ?? [])];
      if (stateful.length) {
        throw new PimopsError(
          'sql-not-read-only',
          `Refused: ${stateful.join(', ')} changes DuckDB's state outside the query; ad hoc SQL only reads.`,
        );
      }
    }
    const extracted = await db.conn.extractStatements(sql);
    if (extracted.count === 0) throw new PimopsError('usage', 'No SQL statement given');
    if (!opts.sandboxed) {
      // A writer's script may create what its later statements read: prepare each after the one before ran.
      for (let i = 0; i < extracted.count - 1; i++) await (await extracted.prepare(i)).run();
      return streamed(await (await extracted.prepare(extracted.count - 1)).stream());
    }
    const prepared = [];
    for (let i = 0; i < extracted.count; i++) prepared.push(await extracted.prepare(i));
    {
      const refused = prepared.findIndex((p) => !ALLOWED.has(p.statementType));
      if (refused >= 0) {
        throw new PimopsError(
          'sql-not-read-only',
          `Refused: statement ${refused + 1} is ${StatementType[prepared[refused].statementType]}; ad hoc SQL runs SELECT ` +
            '(with DESCRIBE, SHOW, SUMMARIZE, FROM …) and EXPLAIN. Use --write to change the database.',
        );
      }
    }
    for (const p of prepared.slice(0, -1)) await p.run();
    return streamed(await prepared[prepared.length - 1].stream());
  } catch (err) {
    return fail(err);
  }

  function streamed(result: DuckDBResult): AdHocResult {
    const columns = result.columnNames();
    const types = result.columnTypes().map((t) => t.toString());
    async function* batches(): AsyncGenerator<Row[]> {
      try {
        for await (const rows of result.yieldRowObjectJs()) yield rows;
      } catch (err) {
        fail(err);
      } finally {
        clearTimeout(timer);
      }
    }
    return { columns, types, batches: batches() };
  }
}
