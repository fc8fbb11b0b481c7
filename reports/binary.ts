// Arrow IPC and Parquet files written by pimops from a result set. The ad hoc connection is
// sandboxed (no file access), so the user's SQL never writes files: pimops does, from the rows.
import { closeSync, mkdtempSync, openSync, readFileSync, writeSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  tableToIPC,
  vectorFromArray,
  Bool,
  Int32,
  Int64,
  Float64,
  Utf8,
  TimestampMillisecond,
  Table,
} from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Row } from '../core/db.js';
import { sqlString } from '../core/db.js';
import { writeFileAtomic } from '../core/output.js';
import { plain } from './format.js';
import { asText } from '../core/text.js';

export interface TypedRows {
  columns: string[];
  types: string[];
  rows: Row[];
}

function arrowVector(type: string, values: unknown[]) {
  const t = type.toUpperCase();
  if (t === 'BOOLEAN')
    return vectorFromArray(
      values.map((v) => (v === null || v === undefined ? null : Boolean(v))),
      new Bool(),
    );
  if (['TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT'].includes(t))
    return vectorFromArray(
      values.map((v) => (v === null || v === undefined ? null : Number(v))),
      new Int32(),
    );
  if (['BIGINT', 'HUGEINT', 'UINTEGER', 'UBIGINT'].includes(t))
    return vectorFromArray(
      values.map((v) => (v === null || v === undefined ? null : BigInt(v as bigint))),
      new Int64(),
    );
  if (['FLOAT', 'DOUBLE'].includes(t) || t.startsWith('DECIMAL'))
    return vectorFromArray(
      values.map((v) => (v === null || v === undefined ? null : Number(v))),
      new Float64(),
    );
  if (t.startsWith('TIMESTAMP') || t === 'DATE') {
    return vectorFromArray(
      values.map((v) =>
        v instanceof Date ? v.getTime() : v === null || v === undefined ? null : Date.parse(asText(v)),
      ),
      new TimestampMillisecond('UTC'),
    );
  }
  // Text, and nested values as JSON text: every reader can take those.
  return vectorFromArray(
    values.map((v) => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(plain(v)))),
    new Utf8(),
  );
}

export function toArrowTable(r: TypedRows): Table {
  const vectors = Object.fromEntries(
    r.columns.map((c, i) => [
      c,
      arrowVector(
        r.types[i],
        r.rows.map((row) => row[c]),
      ),
    ]),
  );
  return new Table(vectors);
}

/** Parquet goes through a private in-memory DuckDB: the rows as NDJSON with their original types, in a
 *  private temp folder (a guessable name in the shared temp folder could be a planted link); the file
 *  then goes to its place like every output, through writeFileAtomic. */
/** DuckDB reads the NDJSON with the columns' own types and writes Parquet, which goes to its place atomically. */
async function copyToParquet(
  columns: string[],
  types: string[],
  nd: string | undefined,
  path: string,
  work: string,
): Promise<void> {
  const tmp = join(work, 'out.parquet');
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    await conn.run("SET TimeZone = 'UTC'");
    const cols = `{${columns.map((c, i) => `${sqlString(c)}: ${sqlString(types[i])}`).join(', ')}}`;
    const source = nd
      ? `SELECT * FROM read_ndjson(${sqlString(nd)}, columns = ${cols})`
      : `SELECT ${columns.map((c, i) => `NULL::${types[i]} AS "${c.replaceAll('"', '""')}"`).join(', ')} LIMIT 0`;
    await conn.run(`COPY (${source}) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
    writeFileAtomic(path, readFileSync(tmp));
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

/** Rows that arrive in batches, with their DuckDB column types. */
export interface TypedBatches {
  columns: string[];
  types: string[];
  batches: AsyncIterable<Row[]> | Iterable<Row[]>;
}

/**
 * Arrow from a streamed result: each batch becomes Arrow columns at once and its JS rows are let go,
 * so memory holds the columnar data (what the file is), never every row as objects.
 */
export async function writeArrowStream(s: TypedBatches, path: string): Promise<number> {
  const batches = [...toArrowTable({ columns: s.columns, types: s.types, rows: [] }).batches];
  let rows = 0;
  for await (const batch of s.batches) {
    batches.push(...toArrowTable({ columns: s.columns, types: s.types, rows: batch }).batches);
    rows += batch.length;
  }
  writeFileAtomic(path, tableToIPC(new Table(batches), 'file'));
  return rows;
}

/** Parquet from a streamed result: batches are appended to a private NDJSON file, which DuckDB then reads. */
export async function writeParquetStream(s: TypedBatches, path: string): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'pimops-parquet-'));
  const nd = join(work, 'rows.ndjson');
  const fd = openSync(nd, 'w', 0o600);
  let rows = 0;
  try {
    for await (const batch of s.batches) {
      const text = batch
        .map((row) => JSON.stringify(Object.fromEntries(s.columns.map((c) => [c, plain(row[c])]))))
        .join('\n');
      if (batch.length) writeSync(fd, text + '\n');
      rows += batch.length;
    }
  } finally {
    closeSync(fd);
  }
  try {
    await copyToParquet(s.columns, s.types, rows > 0 ? nd : undefined, path, work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}
