// Renders result rows for people (table, markdown) and for programs (csv, json, ndjson).
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import type { Row } from '../core/db.js';
import { PimopsError } from '../core/errors.js';
import { csvCell, markdownCell, terminalText } from './neutralise.js';
import { asText } from '../core/text.js';

export const FORMATS = ['table', 'csv', 'json', 'ndjson', 'markdown'] as const; // arrow and parquet: reports/binary.ts
export type Format = (typeof FORMATS)[number];

export function parseFormat(value: string | undefined, json: boolean | undefined, fallback: Format): Format {
  if (json) return 'json';
  if (!value) return fallback;
  if (!(FORMATS as readonly string[]).includes(value))
    throw new PimopsError('usage', `Unknown format '${value}'. Use one of: ${FORMATS.join(', ')}`);
  return value as Format;
}

/** JSON-safe plain values: bigints as numbers (as strings past 2^53), times as ISO 8601 UTC. */
export function plain(value: unknown): unknown {
  if (typeof value === 'bigint')
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

function cell(value: unknown): string {
  const v = plain(value);
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' && !Number.isInteger(v)) return String(Math.round(v * 1000) / 1000);
  return asText(v);
}

/** CSV of the rows. For people (the default) a cell a spreadsheet would run as a formula is made
 * text; `exact` keeps every value as stored, for files programs join on (Sentinel watchlists). */
export function renderCsv(columns: string[], rows: Row[], opts: { exact?: boolean; header?: boolean } = {}): string {
  const safe = opts.exact ? (s: string) => s : csvCell;
  const body = rows.map((r) => columns.map((c) => safe(cell(r[c]))));
  return stringify(opts.header === false ? body : [columns.map(safe), ...body]);
}

export function renderRows(columns: string[], rows: Row[], format: Format): string {
  switch (format) {
    case 'json':
      return JSON.stringify(rows.map(plain), null, 2) + '\n';
    case 'ndjson':
      return rows.map((r) => JSON.stringify(plain(r))).join('\n') + (rows.length ? '\n' : '');
    case 'csv':
      return renderCsv(columns, rows);
    case 'markdown':
      return (
        [
          `| ${columns.map(markdownCell).join(' | ')} |`,
          `| ${columns.map(() => '---').join(' | ')} |`,
          ...rows.map((r) => `| ${columns.map((c) => markdownCell(cell(r[c]))).join(' | ')} |`),
        ].join('\n') + '\n'
      );
    case 'table': {
      const t = new Table({
        head: columns.map((c) => terminalText(c)),
        style: { head: [], border: [], compact: true },
      });
      for (const r of rows) t.push(columns.map((c) => terminalText(cell(r[c]))));
      return t.toString() + `\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
    }
  }
}
