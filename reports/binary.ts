// Arrow IPC and Parquet files written by pimops from a result set. The ad hoc connection is
// sandboxed (no file access), so the user's SQL never writes files: pimops does, from the rows.
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { tableToIPC, vectorFromArray, Bool, Int32, Int64, Float64, Utf8, TimestampMillisecond, Table } from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Row } from '../core/db.js';
import { sqlString } from '../core/db.js';
import { writeFileAtomic } from '../core/output.js';
import { plain } from './format.js';
import { asText } from '../core/text.js';

export interface TypedRows { columns: string[]; types: string[]; rows: Row[] }

function arrowVector(type: string, values: unknown[]) {
  const t = type.toUpperCase();
  if (t === 'BOOLEAN') return vectorFromArray(values.map((v) => (v === null || v === undefined ? null : Boolean(v))), new Bool());
  if (['TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT'].includes(t)) return vectorFromArray(values.map((v) => (v === null || v === undefined ? null : Number(v))), new Int32());
  if (['BIGINT', 'HUGEINT', 'UINTEGER', 'UBIGINT'].includes(t)) return vectorFromArray(values.map((v) => (v === null || v === undefined ? null : BigInt(v as bigint))), new Int64());
  if (['FLOAT', 'DOUBLE'].includes(t) || t.startsWith('DECIMAL')) return vectorFromArray(values.map((v) => (v === null || v === undefined ? null : Number(v))), new Float64());
  if (t.startsWith('TIMESTAMP') || t === 'DATE') {
    return vectorFromArray(values.map((v) => (v instanceof Date ? v.getTime() : v === null || v === undefined ? null : Date.parse(asText(v)))), new TimestampMillisecond('UTC'));
  }
  // Text, and nested values as JSON text: every reader can take those.
  return vectorFromArray(values.map((v) => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(plain(v)))), new Utf8());
}

export function toArrowTable(r: TypedRows): Table {
  const vectors = Object.fromEntries(r.columns.map((c, i) => [c, arrowVector(r.types[i], r.rows.map((row) => row[c]))]));
  return new Table(vectors);
}

export function writeArrow(r: TypedRows, path: string): void {
  writeFileAtomic(path, tableToIPC(toArrowTable(r), 'file'));
}

/** Parquet through a private in-memory DuckDB: the rows go in as NDJSON with their original types.
 *  DuckDB writes into a private temp folder (a guessable name in the shared temp folder could be a
 *  planted link); the file then goes to its place like every output, through writeFileAtomic. The
 *  rows are in memory already, so holding the compressed file too costs little. */
export async function writeParquet(r: TypedRows, path: string): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'pimops-parquet-'));
  const nd = join(work, 'rows.ndjson');
  writeFileSync(nd, r.rows.map((row) => JSON.stringify(Object.fromEntries(r.columns.map((c) => [c, plain(row[c])])))).join('\n') + '\n', { mode: 0o600 });
  const tmp = join(work, 'out.parquet');
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    await conn.run("SET TimeZone = 'UTC'");
    const cols = `{${r.columns.map((c, i) => `${sqlString(c)}: ${sqlString(r.types[i])}`).join(', ')}}`;
    const source = r.rows.length
      ? `SELECT * FROM read_ndjson(${sqlString(nd)}, columns = ${cols})`
      : `SELECT ${r.columns.map((c, i) => `NULL::${r.types[i]} AS "${c.replaceAll('"', '""')}"`).join(', ')} LIMIT 0`;
    await conn.run(`COPY (${source}) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
    writeFileAtomic(path, readFileSync(tmp));
  } finally {
    conn.closeSync();
    inst.closeSync();
    rmSync(work, { recursive: true, force: true });
  }
}

