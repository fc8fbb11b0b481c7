// A result set to where the user asked for it: text formats to stdout or a file, Arrow and Parquet
// to a file (pimops writes those from the rows; the sandboxed SQL session never touches files).
import { PimopsError } from '../core/errors.js';
import { AtomicFile } from '../core/output.js';
import type { Row } from '../core/db.js';
import { parseFormat, plain, renderCsv, renderRows, type Format } from './format.js';
import { writeArrowStream, writeParquetStream } from './binary.js';
import { resolve } from 'node:path';

export interface EmitRequest {
  format?: string;
  json?: boolean;
  /** A file to write instead of stdout; required for arrow and parquet. */
  out?: string;
  /** What text format to use when none is given: a table on a terminal, CSV elsewhere. */
  fallback: Format;
}

/** Rows that arrive in batches (a streamed query result). */
export interface RowStream {
  columns: string[];
  types: string[];
  batches: AsyncIterable<Row[]> | Iterable<Row[]>;
}

/** A table needs every row for its column widths: a person reads the first ones, the rest are counted. */
export const TABLE_ROW_LIMIT = 1000;

export interface Streamed {
  rows: number;
  /** Rows a table left out (counted, not shown). */
  leftOut: number;
  path?: string;
  format: string;
}

function jsonRow(r: Row): string {
  return '  ' + JSON.stringify(plain(r), null, 2).replace(/\n/g, '\n  ');
}

/**
 * Writes a streamed result batch by batch, so no result is ever held whole in Node: text formats to
 * `write` (stdout) or to an atomic --out file. Arrow and Parquet need the whole set for their
 * footer and are collected first (their columnar form is far smaller than rendered text).
 */
export async function emitRowStream(s: RowStream, req: EmitRequest, write: (text: string) => void): Promise<Streamed> {
  if (req.format === 'arrow' || req.format === 'parquet') {
    if (!req.out) throw new PimopsError('usage', `--format ${req.format} writes a file: give --out FILE`);
    const rows = req.format === 'arrow' ? await writeArrowStream(s, req.out) : await writeParquetStream(s, req.out);
    return { rows, leftOut: 0, path: resolve(req.out), format: req.format };
  }
  const format = parseFormat(req.format, req.json, req.out ? 'csv' : req.fallback);
  const file = req.out ? new AtomicFile(req.out) : undefined;
  const put = file ? (t: string) => file.write(t) : write;
  let rows = 0;
  let leftOut = 0;
  try {
    const held: Row[] = [];
    if (format === 'csv') put(renderCsv(s.columns, []));
    if (format === 'markdown') put(renderRows(s.columns, [], 'markdown'));
    if (format === 'json') put('[');
    for await (const batch of s.batches) {
      if (format === 'csv') put(renderCsv(s.columns, batch, { header: false }));
      else if (format === 'ndjson') put(renderRows(s.columns, batch, 'ndjson'));
      else if (format === 'markdown') put(renderRows(s.columns, batch, 'markdown').split('\n').slice(2).join('\n'));
      else if (format === 'json') put(batch.map((r, i) => (rows + i === 0 ? '\n' : ',\n') + jsonRow(r)).join(''));
      else {
        const room = Math.max(0, TABLE_ROW_LIMIT - held.length);
        held.push(...batch.slice(0, room));
        leftOut += Math.max(0, batch.length - room);
      }
      rows += batch.length;
    }
    if (format === 'json') put(rows ? '\n]\n' : ']\n');
    if (format === 'table') {
      put(renderRows(s.columns, held, 'table'));
      if (leftOut)
        put(`(${leftOut} more row${leftOut === 1 ? '' : 's'} not shown: use --format csv, --out FILE or LIMIT)\n`);
    }
    return { rows, leftOut, path: file?.commit(), format };
  } catch (err) {
    file?.abort();
    throw err;
  }
}
