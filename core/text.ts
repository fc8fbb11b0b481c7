// Values from DuckDB rows and options arrive as `unknown`; these turn them into text the same way everywhere.

/** A value from a row as text: strings as they are, nothing as '', structures as JSON (never '[object Object]'). */
export function asText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v) ?? '';
}
