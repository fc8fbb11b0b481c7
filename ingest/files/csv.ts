// Log Analytics CSV exports (the portal's "Export to CSV"): one row per record, its dynamic columns as
// JSON text; landed as NDJSON so staging reads one shape per flavor.
import { createWriteStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse/sync';
import type { LandingStore } from '../../core/landing.js';
import { LOG_ANALYTICS_DYNAMIC } from './recognise.js';
import { GZIP_LEVEL, LandingRefusal, readWhole } from './io.js';
import type { Landed } from './index.js';

/** A Log Analytics CSV export: one row per record, dynamic columns parsed from their JSON text. */
export async function landLogAnalyticsCsv(store: LandingStore, path: string, gz: boolean): Promise<Landed> {
  const raw = await readWhole(path, gz);
  let rows: Record<string, string>[];
  try {
    rows = parseCsv<Record<string, string>>(raw.text, {
      columns: true,
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
    });
  } catch (err) {
    throw new LandingRefusal('malformed_csv', `the CSV cannot be read: ${(err as Error).message}`);
  }
  const records = rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => {
        if (v === '') return [k, null];
        if (LOG_ANALYTICS_DYNAMIC.includes(k)) {
          try {
            return [k, JSON.parse(v)];
          } catch {
            return [k, v];
          }
        }
        return [k, v];
      }),
    ),
  );
  const lines = records.map((r) => JSON.stringify(r));
  const temp = store.tempPath();
  await pipeline(
    Readable.from([Buffer.from(lines.join('\n') + (lines.length ? '\n' : ''))]),
    createGzip({ level: GZIP_LEVEL }),
    createWriteStream(temp, { mode: 0o600 }),
  );
  return {
    originalPath: path,
    temp,
    sha256: createHash('sha256').update(raw.bytes).digest('hex'),
    shape: 'log_analytics_csv',
    flavor: 'log_analytics',
    origin: 'index',
    records: lines.length,
    cleanLines: true,
  };
}
