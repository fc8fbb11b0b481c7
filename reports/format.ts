// Renders result rows for people (table, markdown) and for programs (csv, json, ndjson).
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import type { Row } from '../core/db.js';
import { PimopsError } from '../core/errors.js';

export const FORMATS = ['table', 'csv', 'json', 'ndjson', 'markdown'] as const; // arrow and parquet: reports/binary.ts
export type Format = (typeof FORMATS)[number];

export function parseFormat(value: string | undefined, json: boolean | undefined, fallback: Format): Format {
  if (json) return 'json';
  if (!value) return fallback;
  if (!(FORMATS as readonly string[]).includes(value)) throw new PimopsError('usage', `Unknown format '${value}'. Use one of: ${FORMATS.join(', ')}`);
  return value as Format;
}

/** JSON-safe plain values: bigints as numbers (as strings past 2^53), times as ISO 8601 UTC. */
export function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

function cell(value: unknown): string {
  const v = plain(value);
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'number' && !Number.isInteger(v)) return String(Math.round(v * 1000) / 1000);
  return String(v);
}

/** Spreadsheet apps run cells that start with these as formulas (OWASP CSV injection). */
function csvSafe(text: string): string {
  return /^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text;
}

export function renderRows(columns: string[], rows: Row[], format: Format): string {
  switch (format) {
    case 'json':
      return JSON.stringify(rows.map(plain), null, 2) + '\n';
    case 'ndjson':
      return rows.map((r) => JSON.stringify(plain(r))).join('\n') + (rows.length ? '\n' : '');
    case 'csv':
      return stringify([columns, ...rows.map((r) => columns.map((c) => csvSafe(cell(r[c]))))]);
    case 'markdown': {
      const esc = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
      return [`| ${columns.map(esc).join(' | ')} |`, `| ${columns.map(() => '---').join(' | ')} |`,
        ...rows.map((r) => `| ${columns.map((c) => esc(cell(r[c]))).join(' | ')} |`)].join('\n') + '\n';
    }
    case 'table': {
      const t = new Table({ head: columns, style: { head: [], border: [], compact: true } });
      for (const r of rows) t.push(columns.map((c) => cell(r[c])));
      return t.toString() + `\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
    }
  }
}
