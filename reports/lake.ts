// The Parquet lake: every canonical table, Hive-partitioned by day, for Spark, Fabric, Databricks,
// Polars and ADX external tables. Incremental: a partition is rewritten only when its content
// checksum changed, into a staging folder first and then renamed into place, so a reader never
// sees half a partition. Metric values come from the named metric queries, by id.
// _manifest.json is read back as untrusted: anyone who can write the lake folder could steer which
// folders the next export deletes, so a partition is deleted only by a key the lake itself makes.
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import type { Db } from '../core/db.js';
import { registeredSecrets } from '../core/redact.js';
import { sqlString } from '../core/db.js';
import type { Config } from '../core/config.js';
import { PimopsError } from '../core/errors.js';
import { writeFileAtomic } from '../core/output.js';
import { metricValues } from './metric-values.js';

export const LAKE_SCHEMA_VERSION = 1;
const PARTITIONS_PER_COPY = 31;

/** Each exported table and the time its rows are partitioned by. */
export const LAKE_TABLES: Record<string, { source: string; time: string }> = {
  audit_events: { source: 'audit_events', time: 'event_time' },
  pim_requests: { source: 'pim_requests', time: 'coalesce(requested_at, completed_at, decided_at)' },
  pim_approvals: { source: 'pim_approvals', time: 'decided_at' },
  pim_activations: { source: 'pim_activations', time: 'started_at' },
  role_assignments: { source: 'role_assignments', time: 'coalesce(start_at, observed_at)' },
  quarantine: { source: 'quarantine', time: 'quarantined_at' },
  landing_files: { source: 'landing_files', time: 'landed_at' },
  metric_values: { source: 'lake_metric_values', time: 'month_start' },
};

interface PartitionInfo { rows: number; checksum: string }
interface TableManifest { rows: number; partitions: Record<string, PartitionInfo>; minTime: string | null; maxTime: string | null; columns: { name: string; type: string }[] }
export interface LakeManifest { schemaVersion: number; exportedAt: string; partitionColumn: 'event_date'; tables: Record<string, TableManifest> }

/** What the export could not trust or do (a manifest it ignored, a partition it would not delete), for the CLI to print. */
export interface LakeExportResult { tables: number; partitionsWritten: number; partitionsRemoved: number; partitionsUnchanged: number; rows: number; warnings: string[] }

/** The partition of rows without a time (see the `coalesce(event_date, ...)` below). */
const UNKNOWN_PARTITION = 'unknown';

/** A key the lake makes: a real calendar day (strftime output) or the unknown partition. */
export function isPartitionKey(key: string): boolean {
  if (key === UNKNOWN_PARTITION) return true;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(key)) return false;
  const d = new Date(`${key}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === key;
}

const partitionKey = z.string().refine(isPartitionKey, { message: 'not a YYYY-MM-DD day or unknown' });
const manifestSchema = z.strictObject({
  schemaVersion: z.number().int(),
  exportedAt: z.string(),
  partitionColumn: z.literal('event_date'),
  tables: z.record(z.string(), z.strictObject({
    rows: z.number().int().nonnegative(),
    partitions: z.record(partitionKey, z.strictObject({ rows: z.number().int().nonnegative(), checksum: z.string() })),
    minTime: z.string().nullable(),
    maxTime: z.string().nullable(),
    columns: z.array(z.strictObject({ name: z.string(), type: z.string() })),
  })),
});

/** The metric values as a temp table the lake exports like any other. */
async function buildMetricValues(db: Db, config: Config): Promise<void> {
  await db.run(`CREATE OR REPLACE TEMP TABLE lake_metric_values (month_start TIMESTAMPTZ, month VARCHAR, plane VARCHAR, metric_id VARCHAR, measure VARCHAR, dimensions VARCHAR, value DOUBLE)`);
  // Dimensions hold names from the data: through the appender, never as SQL text.
  await db.appendRows('lake_metric_values', (await metricValues(db, config)).map((v) =>
    [new Date(v.month_start), v.month, v.plane, v.metric_id, v.measure, v.dimensions, v.value]));
}

/** The previous export's manifest, or undefined (a full export) when it is absent or not one the lake wrote. */
function readManifest(dir: string, warnings: string[]): LakeManifest | undefined {
  const p = join(dir, '_manifest.json');
  if (!existsSync(p)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(p, 'utf8'));
  } catch (err) {
    warnings.push(`${p} is not JSON (${(err as Error).message}); ignored it and exported every partition.`);
    return undefined;
  }
  const checked = manifestSchema.safeParse(parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    warnings.push(`${p} is not a manifest this lake wrote (${issue.path.map(String).join('.')}: ${issue.message}); ignored it, `
      + 'exported every partition and deleted none.');
    return undefined;
  }
  return checked.data;
}

/** A partition folder the export may delete, or why not: its key, a path that stays inside the
 *  table folder (checked after resolving, not trusted from the key) and a real folder, not a link. */
function deletablePartition(tableDir: string, key: string): { path: string } | { refused: string } {
  const path = resolve(tableDir, `event_date=${key}`);
  const rel = relative(tableDir, path);
  if (!isPartitionKey(key) || !rel || rel.startsWith('..') || isAbsolute(rel) || rel.includes('/') || rel.includes('\\')) {
    return { refused: `not a partition key: ${JSON.stringify(key)}` };
  }
  try {
    if (lstatSync(path).isSymbolicLink()) return { refused: `${path} is a symbolic link` };
  } catch {
    return { path }; // already gone
  }
  return { path };
}

/** A table folder that is a link would send writes and deletions elsewhere. */
function refuseLinkedFolder(path: string): void {
  try {
    if (lstatSync(path).isSymbolicLink()) {
      throw new PimopsError('output-unwritable', `Cannot write ${path}: it is a symbolic link, and pimops never writes through one.`);
    }
  } catch (err) {
    if (err instanceof PimopsError) throw err;
  }
}

/** Parquet files DuckDB wrote carry the umask's mode; audit data is the owner's only. */
function privateFiles(dir: string): void {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const st = lstatSync(full);
    if (st.isDirectory()) privateFiles(full); else if (st.isFile()) chmodSync(full, 0o600);
  }
}

/** The same rows with every registered secret masked in text columns: the lake is an output like any other. */
async function redactedView(db: Db, view: string): Promise<string> {
  const secrets = registeredSecrets();
  if (!secrets.length) return view;
  const cols = await db.all<{ column_name: string; column_type: string }>(`DESCRIBE ${view}`);
  const text = cols.filter((c) => c.column_type === 'VARCHAR').map((c) => c.column_name);
  if (!text.length) return view;
  const mask = (col: string) => secrets.reduce((e, s) => `replace(${e}, ${sqlString(s)}, '[redacted]')`, `"${col.replaceAll('"', '""')}"`);
  return `SELECT * REPLACE (${text.map((c) => `${mask(c)} AS "${c.replaceAll('"', '""')}"`).join(', ')}) FROM (${view})`;
}

export async function exportLake(db: Db, config: Config, outDir: string, log?: (m: string) => void): Promise<LakeExportResult> {
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  const warnings: string[] = [];
  const previous = readManifest(out, warnings);
  const schemaChanged = previous && previous.schemaVersion !== LAKE_SCHEMA_VERSION;
  // Row order inside a partition does not matter to any reader; not keeping it saves memory.
  await db.run('SET preserve_insertion_order = false');
  await buildMetricValues(db, config);
  const result: LakeExportResult = { tables: 0, partitionsWritten: 0, partitionsRemoved: 0, partitionsUnchanged: 0, rows: 0, warnings };
  const manifest: LakeManifest = { schemaVersion: LAKE_SCHEMA_VERSION, exportedAt: new Date().toISOString(), partitionColumn: 'event_date', tables: {} };
  for (const [table, spec] of Object.entries(LAKE_TABLES)) {
    const view = `SELECT *, strftime(${spec.time}, '%Y-%m-%d') AS event_date FROM ${spec.source}`;
    await db.run(`CREATE OR REPLACE TEMP VIEW lake_src AS ${await redactedView(db, view)}`);
    const parts = await db.all<{ event_date: string | null; n: bigint; h: bigint | null }>(
      `SELECT coalesce(event_date, '${UNKNOWN_PARTITION}') AS event_date, count(*) AS n, bit_xor(hash(x)) AS h FROM lake_src x GROUP BY 1 ORDER BY 1`);
    const columns = await db.all<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * EXCLUDE (event_date) FROM lake_src`);
    const span = await db.one<{ lo: Date | null; hi: Date | null }>(`SELECT min(${spec.time}) AS lo, max(${spec.time}) AS hi FROM ${spec.source}`);
    const old = schemaChanged ? undefined : previous?.tables[table];
    const current: Record<string, PartitionInfo> = Object.fromEntries(parts.map((p) => [p.event_date!, { rows: Number(p.n), checksum: String(p.h ?? 0) }]));
    const changed = Object.keys(current).filter((d) => !old?.partitions[d] || old.partitions[d].checksum !== current[d].checksum || old.partitions[d].rows !== current[d].rows
      || !existsSync(join(out, table, `event_date=${d}`)));
    const tableDir = join(out, table);
    refuseLinkedFolder(tableDir);
    const removed = Object.keys(old?.partitions ?? {}).filter((d) => !current[d]);
    // A month of partitions per COPY: PARTITION_BY keeps a writer open per partition, and a
    // thousand at once ran out of a 2 GB memory limit on 1M records.
    for (let i = 0; i < changed.length; i += PARTITIONS_PER_COPY) {
      const batch = changed.slice(i, i + PARTITIONS_PER_COPY);
      const staging = join(out, `.staging-${table}-${process.pid}-${Date.now()}-${i}`);
      const list = batch.map((d) => sqlString(d)).join(', ');
      const key = `coalesce(event_date, '${UNKNOWN_PARTITION}')`;
      await db.run(`COPY (SELECT * REPLACE (${key} AS event_date) FROM lake_src WHERE ${key} IN (${list}))
        TO ${sqlString(staging)} (FORMAT parquet, PARTITION_BY (event_date), COMPRESSION zstd, WRITE_PARTITION_COLUMNS false)`);
      privateFiles(staging);
      mkdirSync(tableDir, { recursive: true, mode: 0o700 });
      for (const d of batch) {
        const target = join(out, table, `event_date=${d}`);
        const fresh = join(staging, `event_date=${d}`);
        const trash = `${target}.old-${process.pid}`;
        if (existsSync(target)) renameSync(target, trash);
        renameSync(fresh, target);
        rmSync(trash, { recursive: true, force: true });
      }
      rmSync(staging, { recursive: true, force: true });
    }
    let removedCount = 0;
    for (const d of removed) {
      const p = deletablePartition(tableDir, d);
      if ('refused' in p) {
        warnings.push(`${table}: did not delete partition ${JSON.stringify(d)} (${p.refused}).`);
        continue;
      }
      rmSync(p.path, { recursive: true, force: true });
      removedCount++;
    }
    result.tables++;
    result.partitionsWritten += changed.length;
    result.partitionsRemoved += removedCount;
    result.partitionsUnchanged += Object.keys(current).length - changed.length;
    const rows = parts.reduce((n, p) => n + Number(p.n), 0);
    result.rows += rows;
    manifest.tables[table] = {
      rows, partitions: current, minTime: span?.lo ? span.lo.toISOString() : null, maxTime: span?.hi ? span.hi.toISOString() : null,
      columns: columns.filter((c) => c.column_name !== 'event_date').map((c) => ({ name: c.column_name, type: c.column_type })),
    };
    log?.(`${table}: ${rows} rows, ${changed.length} partitions written, ${removedCount} removed`);
  }
  writeFileAtomic(join(out, '_manifest.json'), JSON.stringify(manifest, null, 2));
  return result;
}

export function lakeSizeBytes(dir: string): number {
  let total = 0;
  const walk = (p: string) => {
    for (const name of readdirSync(p)) {
      const full = join(p, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full); else total += st.size;
    }
  };
  walk(dir);
  return total;
}
