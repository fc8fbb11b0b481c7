// Reading one landed file into the staging tables: the typed fast path, and the line path that names
// each line DuckDB refuses (and the lines themselves, for lineage and quarantine).
import type { Db } from '../core/db.js';
import { sqlString } from '../core/db.js';
import type { ManifestEntry } from '../core/landing.js';
import {
  GRAPH_COLUMNS,
  DIAGNOSTIC_COLUMNS,
  LOG_ANALYTICS_COLUMNS,
  readColumnsSql,
  jsonStructureSql,
} from './columns.js';
import { modelSql } from './sql.js';
import { stagingModel, type Flavor } from './models.js';
import { timed } from '../core/profile.js';

export const MAX_LINE = 64 * 1024 * 1024;

// Keyed by flavor: a staging model declared for a new flavor does not compile until its columns are here.
export const FLAVOR_COLUMNS: Record<Flavor, typeof GRAPH_COLUMNS> = {
  graph: GRAPH_COLUMNS,
  diagnostic: DIAGNOSTIC_COLUMNS,
  log_analytics: LOG_ANALYTICS_COLUMNS,
};

export function columnsFor(flavor: Flavor) {
  return FLAVOR_COLUMNS[flavor];
}

/** Fast path: DuckDB's typed NDJSON reader; its row numbers are line numbers because the landing scan found no blank lines. */
export function typedSource(file: string, flavor: Flavor): string {
  return `SELECT ordinality AS line_no, NULL::VARCHAR AS parse_error, NULL::VARCHAR AS raw_line, * EXCLUDE (ordinality)
    FROM read_ndjson(${sqlString(file)}, columns=${readColumnsSql(columnsFor(flavor))}, maximum_object_size=${MAX_LINE}) WITH ORDINALITY`;
}

/**
 * Line-level path: every line on its own, so a bad line is named and its neighbours are kept. Lines
 * DuckDB cannot even read as text (invalid UTF-8) are skipped by the reader and listed in its
 * rejects table; the kept lines' row numbers are shifted back to true line numbers around them.
 */
export async function readLines(db: Db, file: string): Promise<void> {
  await db.run(`DROP TABLE IF EXISTS stage_rejects; DROP TABLE IF EXISTS stage_rejects_scan;`);
  await db.run(`CREATE OR REPLACE TEMP TABLE stage_raw AS
    SELECT o, line FROM read_csv(${sqlString(file)}, columns={'line': 'VARCHAR'}, delim=chr(1), quote='', escape='', header=false,
                    auto_detect=false, strict_mode=false, max_line_size=${MAX_LINE}, buffer_size=${2 * MAX_LINE},
                    ignore_errors=true, store_rejects=true, rejects_table='stage_rejects', rejects_scan='stage_rejects_scan') WITH ORDINALITY AS t(line, o)`);
  await db.run(`CREATE OR REPLACE TEMP TABLE stage_reject_lines AS
    SELECT line AS r, row_number() OVER (ORDER BY line) AS i, left(csv_line, 500) AS raw, error_type FROM stage_rejects`);
}

export function lineSource(flavor: Flavor): string {
  const structure = jsonStructureSql(columnsFor(flavor));
  return `SELECT line_no, parse_error, raw_line, unnest(j) FROM (
      SELECT s.o + (SELECT count(*) FROM stage_reject_lines x WHERE x.r - x.i < s.o) AS line_no,
        CASE WHEN NOT json_valid(line) THEN 'malformed_json' WHEN json_type(line) <> 'OBJECT' THEN 'not_an_object' END AS parse_error,
        left(line, 500) AS raw_line,
        CASE WHEN json_valid(line) AND json_type(line) = 'OBJECT' THEN json_transform(line, ${structure}) END AS j
      FROM stage_raw s
      WHERE line IS NOT NULL AND trim(line, ' ' || chr(9) || chr(13)) <> ''
      UNION ALL
      SELECT r, CASE WHEN error_type = 'INVALID ENCODING' THEN 'invalid_encoding' ELSE 'unreadable_line' END, raw,
        CASE WHEN false THEN json_transform('{}', ${structure}) END
      FROM stage_reject_lines)`;
}

/** The staged rows of a source: the flavor's staging model, then audit_records (canonical columns and
 *  the reason a line is refused). `where` filters them (the rejects of a file staged in a batch). */
export function stagedSelect(source: string, flavor: Flavor, where?: string): string {
  return `WITH src AS (${source}), staged AS (${modelSql(stagingModel(flavor))})
    SELECT * FROM (${modelSql('audit_records')})${where ? ` WHERE ${where}` : ''}`;
}

export function stageSql(source: string, flavor: Flavor, where?: string): string {
  return `CREATE OR REPLACE TEMP TABLE stage AS ${stagedSelect(source, flavor, where)}`;
}

/** Lines of one file: file i's line n is i * FILE_LINES + n (the file's position in a batch rides in
 *  line_no through the staging models, which pass it on untouched). */
export const FILE_LINES = 2 ** 40;

/**
 * Several landed files in one typed read, for one insert: DuckDB reads them in order, so the row
 * number over the read is the line number once each file's offset (the records before it, from the
 * landing scan) is taken off. WITH ORDINALITY numbers the rows in a window over the scan, which reads
 * in one thread: a gzip file is read by one thread anyway, and a batch keeps that thread busy.
 */
export function batchSource(files: string[], records: number[], flavor: Flavor): string {
  const offsets: number[] = [];
  records.reduce((sum, n) => (offsets.push(sum), sum + n), 0);
  return `SELECT file_index::BIGINT * ${FILE_LINES} + ordinality - [${offsets.join(', ')}][file_index::BIGINT + 1] AS line_no,
      NULL::VARCHAR AS parse_error, NULL::VARCHAR AS raw_line, * EXCLUDE (ordinality)
    FROM read_ndjson([${files.map(sqlString).join(', ')}], columns=${readColumnsSql(columnsFor(flavor))}, maximum_object_size=${MAX_LINE}) WITH ORDINALITY`;
}

export const REASON_TEXT: Record<string, string> = {
  malformed_json: 'the line is not valid JSON',
  not_an_object: 'the line is JSON but not an object',
  not_an_audit_record: 'the record has no activity name: not a directory audit record',
  missing_id: 'the audit record has no id',
  missing_time: 'the audit record has no activityDateTime',
  bad_time: 'activityDateTime is not a timestamp',
  invalid_encoding: 'the line is not valid UTF-8',
  unreadable_line: 'the line cannot be read as text',
  no_tenant:
    'the record names no tenant and the store holds several: import the file again with --tenant ID (a file already landed: rebuild after setting it)',
};

/** (reason, text) pairs as a SQL VALUES list. */
export function reasonsValuesSql(): string {
  return Object.entries(REASON_TEXT)
    .map(([k, v]) => `(${sqlString(k)}, ${sqlString(v)})`)
    .join(', ');
}

/** The refused lines staged in `stage` go to quarantine with their reason, its text and what the line held. */
export async function quarantineStaged(db: Db, e: ManifestEntry): Promise<void> {
  await db.run(
    `INSERT INTO quarantine
     SELECT $file, $orig, s.line_no, s.reject_reason, r.text,
            coalesce(s.raw_line, left(concat_ws(' ', 'id=' || s.event_id, 'activity=' || s.activity, 'time=' || s.event_time::VARCHAR), 500)),
            now()
     FROM stage s LEFT JOIN (VALUES ${reasonsValuesSql()}) r(reason, text) ON r.reason = s.reject_reason
     WHERE s.reject_reason IS NOT NULL`,
    { file: e.landedFile, orig: e.originalPath },
  );
}

export async function registerFile(db: Db, e: ManifestEntry): Promise<void> {
  await db.run(
    `INSERT INTO landing_files (seq, sha256, original_path, landed_file, shape, flavor, origin, records, landed_at, tenant_id)
     VALUES ($seq, $sha, $orig, $landed, $shape, $flavor, $origin, $records, $landed_at::TIMESTAMPTZ, $tenant) ON CONFLICT DO NOTHING`,
    {
      seq: e.seq,
      sha: e.sha256,
      orig: e.originalPath,
      landed: e.landedFile,
      shape: e.shape,
      flavor: e.flavor,
      origin: e.origin,
      records: e.records,
      landed_at: e.landedAt,
      tenant: e.tenantId?.toLowerCase() ?? null,
    },
  );
}

/** Reads one landed file into the temp table `stage`: typed fast path first, line by line if it refuses. */
export async function readIntoStage(db: Db, file: string, e: ManifestEntry & { flavor: Flavor }): Promise<void> {
  // Outside any transaction: a refused typed read would abort it.
  if (e.cleanLines) {
    try {
      await timed(`stage typed ${e.seq}`, () => db.run(stageSql(typedSource(file, e.flavor), e.flavor)));
      await attachRawLines(db, file);
      return;
    } catch {
      // A line the typed reader refuses (malformed, or a field of the wrong JSON type): go line by line.
    }
  }
  await readLines(db, file);
  await db.run(stageSql(lineSource(e.flavor), e.flavor));
}

/** The typed reader keeps no raw text: for the few refused lines, fetch it so the quarantine shows what was there. */
export async function attachRawLines(db: Db, file: string): Promise<void> {
  const rejected = await db.one<{ n: bigint }>('SELECT count(*) AS n FROM stage WHERE reject_reason IS NOT NULL');
  if (!rejected || rejected.n === 0n) return;
  await db.run(`UPDATE stage SET raw_line = l.raw FROM (
      SELECT o AS line_no, left(line, 500) AS raw
      FROM read_csv(${sqlString(file)}, columns={'line': 'VARCHAR'}, delim=chr(1), quote='', escape='', header=false,
                    auto_detect=false, strict_mode=false, max_line_size=${MAX_LINE}, buffer_size=${2 * MAX_LINE}) WITH ORDINALITY AS t(line, o)
    ) l WHERE stage.line_no = l.line_no AND stage.reject_reason IS NOT NULL`);
}
