import {
  DuckDBInstance,
  DuckDBConnection,
  DuckDBListValue,
  DuckDBTimestampTZValue,
  LIST,
  VARCHAR,
  BIGINT,
  DOUBLE,
  BOOLEAN,
  listValue,
  timestampTZValue,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PimopsError, asPimopsError } from './errors.js';

export type Row = Record<string, unknown>;

/** DuckDB's buffer limit when the config gives none (the config's own default is the same). */
export const DEFAULT_MEMORY_LIMIT = '1GB';
/** A value bound to a `$name` parameter: scalars, a JS Date (bound as TIMESTAMPTZ), or a LIST made
 *  with `listValue` (re-exported here), so a list reaches SQL as a list rather than as JSON text. */
export type Param = string | number | bigint | boolean | null | Date | DuckDBTimestampTZValue | DuckDBListValue;
export type Params = Record<string, Param>;
export { listValue };

function toDuckDB(v: Param): DuckDBValue {
  return v instanceof Date ? timestampTZValue(BigInt(v.getTime()) * 1000n) : v;
}

/** A list's type from all its items, not only the first (DuckDB's guess): [1, 2.5] is DOUBLE[], and
 *  an empty list, which DuckDB cannot type at all, is VARCHAR[] (SQL casts it to what it needs). */
function listType(items: readonly DuckDBValue[]): DuckDBType | undefined {
  if (items.every((i) => typeof i === 'string')) return LIST(VARCHAR);
  if (items.every((i) => typeof i === 'boolean')) return LIST(BOOLEAN);
  if (items.every((i) => typeof i === 'number' && Number.isSafeInteger(i))) return LIST(BIGINT);
  if (items.every((i) => typeof i === 'number')) return LIST(DOUBLE);
  return undefined;
}

function bindable(
  params?: Params,
): [Record<string, DuckDBValue> | undefined, Record<string, DuckDBType | undefined> | undefined] {
  if (!params) return [undefined, undefined];
  const values: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType | undefined> = {};
  for (const [k, v] of Object.entries(params)) {
    values[k] = toDuckDB(v);
    if (v instanceof DuckDBListValue) types[k] = listType(v.items);
  }
  return [values, types];
}

/** The one owner of DuckDB connections: every stage goes through it, so every session is UTC. */
export class Db {
  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
    private readonly ownsInstance = true,
  ) {}

  /** A second connection to the same database (its own temp tables and transactions), for work that
   *  can run beside this one. Closing it leaves the database open. */
  async fork(): Promise<Db> {
    try {
      const conn = await this.instance.connect();
      await conn.run("SET TimeZone = 'UTC'");
      return new Db(this.path, this.instance, conn, false);
    } catch (err) {
      throw asPimopsError(err);
    }
  }

  static async open(path: string, opts: { memoryLimit?: string } = {}): Promise<Db> {
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    try {
      const instance = await DuckDBInstance.create(path, { memory_limit: opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT });
      const conn = await instance.connect();
      await conn.run("SET TimeZone = 'UTC'");
      return new Db(path, instance, conn);
    } catch (err) {
      throw asPimopsError(err);
    }
  }

  /**
   * A read-only, sandboxed session for ad hoc SQL: no writes, no file or network access,
   * and the settings cannot be changed back from inside the query.
   */
  static async openReadOnly(path: string, opts: { memoryLimit?: string; maxTempSize?: string } = {}): Promise<Db> {
    if (path !== ':memory:') requireDatabase(path);
    try {
      // Bounded like a writer: an export feed over a 10M-record store otherwise takes DuckDB's default (80% of RAM).
      const instance = await DuckDBInstance.create(path, {
        access_mode: 'READ_ONLY',
        memory_limit: opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
      });
      const conn = await instance.connect();
      await conn.run("SET TimeZone = 'UTC'");
      // A runaway sort or join spills to disk: capped, so one ad hoc query cannot fill the disk.
      if (opts.maxTempSize) await conn.run(`SET max_temp_directory_size = ${sqlString(opts.maxTempSize)}`);
      await conn.run('SET enable_external_access = false');
      await conn.run('SET lock_configuration = true');
      return new Db(path, instance, conn);
    } catch (err) {
      throw asPimopsError(err);
    }
  }

  async run(sql: string, params?: Params): Promise<void> {
    await this.conn.run(sql, ...bindable(params));
  }

  /** Appends rows to a table through DuckDB's appender: values never become SQL text. */
  async appendRows(table: string, rows: readonly (readonly Param[])[]): Promise<void> {
    const appender = await this.conn.createAppender(table);
    try {
      for (const row of rows) {
        for (const v of row) appender.appendValue(toDuckDB(v));
        appender.endRow();
      }
      appender.closeSync(); // flushes
    } catch (err) {
      try {
        appender.closeSync();
      } catch {
        /* the first error is the one to report */
      }
      throw asPimopsError(err);
    }
  }

  async all<T = Row>(sql: string, params?: Params): Promise<T[]> {
    const reader = await this.conn.runAndReadAll(sql, ...bindable(params));
    return reader.getRowObjectsJS() as T[];
  }

  /** Rows as JSON-safe values (bigints and timestamps as strings), for output. */
  async allJson(sql: string, params?: Params): Promise<{ columns: string[]; types: string[]; rows: Row[] }> {
    const reader = await this.conn.runAndReadAll(sql, ...bindable(params));
    return {
      columns: reader.columnNames(),
      types: reader.columnTypes().map((t) => t.toString()),
      rows: reader.getRowObjectsJS(),
    };
  }

  /** Rows as JS values (bigints, Dates) with the column order, for rendering ad hoc results. */
  async allJsRows(sql: string): Promise<{ columns: string[]; types: string[]; rows: Row[] }> {
    const reader = await this.conn.runAndReadAll(sql);
    return {
      columns: reader.columnNames(),
      types: reader.columnTypes().map((t) => t.toString()),
      rows: reader.getRowObjectsJS(),
    };
  }

  /** A result read batch by batch as JS values (about 2,048 rows a batch), so no result is held whole. */
  async stream(
    sql: string,
    params?: Params,
  ): Promise<{ columns: string[]; types: string[]; batches: AsyncIterable<Row[]> }> {
    const result = await this.conn.stream(sql, ...bindable(params));
    return {
      columns: result.columnNames(),
      types: result.columnTypes().map((t) => t.toString()),
      batches: result.yieldRowObjectJs(),
    };
  }

  /** Runs a query and reads the result chunk by chunk without making JS values of its rows: the
   *  row count of a result too big to hold (an export feed over a 10M-record store). */
  async countRows(sql: string, params?: Params): Promise<number> {
    const result = await this.conn.stream(sql, ...bindable(params));
    let n = 0;
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk())
      n += chunk.rowCount;
    return n;
  }

  async one<T = Row>(sql: string, params?: Params): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.run('BEGIN TRANSACTION');
    try {
      const out = await fn();
      await this.run('COMMIT');
      return out;
    } catch (err) {
      await this.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  close(): void {
    this.conn.closeSync();
    if (this.ownsInstance) this.instance.closeSync();
  }
}

/** Commands that only read refuse a missing database with one message, instead of creating an empty one. */
export function requireDatabase(path: string): void {
  if (!existsSync(path))
    throw new PimopsError('database-missing', `No database at ${path}. Run 'pimops import' or 'pimops demo' first.`);
}

/** Quotes a string as a SQL literal, for the few places (file paths in table functions) that cannot bind. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
