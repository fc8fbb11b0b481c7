// A result set to where the user asked for it: text formats to stdout or a file, Arrow and Parquet
// to a file (pimops writes those from the rows; the sandboxed SQL session never touches files).
import { PimopsError } from '../core/errors.js';
import { writeFileAtomic } from '../core/output.js';
import { parseFormat, renderRows, type Format } from './format.js';
import { writeArrow, writeParquet, type TypedRows } from './binary.js';

export interface EmitRequest {
  format?: string;
  json?: boolean;
  /** A file to write instead of stdout; required for arrow and parquet. */
  out?: string;
  /** What text format to use when none is given: a table on a terminal, CSV elsewhere. */
  fallback: Format;
}

export type Emitted = { kind: 'text'; text: string } | { kind: 'file'; path: string; rows: number; format: string };

export async function emitRows(res: TypedRows, req: EmitRequest): Promise<Emitted> {
  if (req.format === 'arrow' || req.format === 'parquet') {
    if (!req.out) throw new PimopsError('usage', `--format ${req.format} writes a file: give --out FILE`);
    if (req.format === 'arrow') writeArrow(res, req.out);
    else await writeParquet(res, req.out);
    return { kind: 'file', path: req.out, rows: res.rows.length, format: req.format };
  }
  const format = parseFormat(req.format, req.json, req.out ? 'csv' : req.fallback);
  const text = renderRows(res.columns, res.rows, format);
  if (!req.out) return { kind: 'text', text };
  return { kind: 'file', path: writeFileAtomic(req.out, text), rows: res.rows.length, format };
}
