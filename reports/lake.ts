// The Parquet lake: every canonical table, Hive-partitioned by day, for Spark, Fabric, Databricks,
// Polars and ADX external tables. Incremental: a partition is rewritten only when its content
// checksum changed, into a staging folder first and then renamed into place, so a reader never
// sees half a partition. Metric values come from the named metric queries, by id.
// _manifest.json is read back as untrusted: anyone who can write the lake folder could steer which
// folders the next export deletes, so a partition is deleted only by a key the lake itself makes.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Db } from '../core/db.js';
import { registeredSecrets } from '../core/redact.js';
import { sqlString } from '../core/db.js';
import type { Config } from '../core/config.js';
import { writeFileAtomic } from '../core/output.js';
import { metricValues } from './metric-values.js';
import {
  UNKNOWN_PARTITION,
  deletablePartition,
  isPartitionKey,
  privateFiles,
  readManifest,
  refuseLinkedFolder,
  type LakeManifest,
  type PartitionInfo,
} from './lake-manifest.js';

export { isPartitionKey, type LakeManifest };

/** What the export could not trust or do (a manifest it ignored, a partition it would not delete), for the CLI to print. */
export interface LakeExportResult {
  tables: number;
  partitionsWritten: number;
  partitionsRemoved: number;
  partitionsUnchanged: number;
  rows: number;
  warnings: string[];
}

export const LAKE_SCHEMA_VERSION = 1;
const PARTITIONS_PER_COPY = 31;

/** Each exported table and the time its rows are partitioned by. */
export const LAKE_TABLES: Record<string, { source: string; time: string }> = {
  audit_events: { source: 'audit_events', time: 'event_time' },
  pim_requests: { source: 'pim_requests', time: 'coalesce(requested_at, completed_at, decided_at)' },
  pim_approvals: { source: 'pim_approvals', time: 'decided_at' },
  pim_activations: { source: 'pim_activations', time: 'started_at' },
  role_assignments: { source: 'role_assignments', time: 'coalesce(start_at, observed_at)' },
  // Every plane's role settings and scope names (issue 23), by observation.
  role_policies: { source: 'role_policies', time: 'observed_at' },
  pim_scopes: { source: 'pim_scopes', time: 'observed_at' },
  quarantine: { source: 'quarantine', time: 'quarantined_at' },
  landing_files: { source: 'landing_files', time: 'landed_at' },
  metric_values: { source: 'lake_metric_values', time: 'month_start' },
};

/** The metric values as a temp table the lake exports like any other. */
async function buildMetricValues(db: Db, config: Config): Promise<void> {
  await db.run(
    `CREATE OR REPLACE TEMP TABLE lake_metric_values (month_start TIMESTAMPTZ, month VARCHAR, plane VARCHAR, metric_id VARCHAR, measure VARCHAR, dimensions VARCHAR, value DOUBLE)`,
  );
  // Dimensions hold names from the data: through the appender, never as SQL text.
  await db.appendRows(
    'lake_metric_values',
    (await metricValues(db, config)).map((v) => [
      new Date(v.month_start),
      v.month,
      v.plane,
      v.metric_id,
      v.measure,
      v.dimensions,
      v.value,
    ]),
  );
}

/** The same rows with every registered secret masked in text columns: the lake is an output like any other. */
async function redactedView(db: Db, view: string): Promise<string> {
  const secrets = registeredSecrets();
  if (!secrets.length) return view;
  const cols = await db.all<{ column_name: string; column_type: string }>(`DESCRIBE ${view}`);
  const text = cols.filter((c) => c.column_type === 'VARCHAR').map((c) => c.column_name);
  if (!text.length) return view;
  const mask = (col: string) =>
    secrets.reduce((e, s) => `replace(${e}, ${sqlString(s)}, '[redacted]')`, `"${col.replaceAll('"', '""')}"`);
  return `SELECT * REPLACE (${text.map((c) => `${mask(c)} AS "${c.replaceAll('"', '""')}"`).join(', ')}) FROM (${view})`;
}

export async function exportLake(
  db: Db,
  config: Config,
  outDir: string,
  log?: (m: string) => void,
): Promise<LakeExportResult> {
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  const warnings: string[] = [];
  const previous = readManifest(out, warnings);
  const schemaChanged = previous && previous.schemaVersion !== LAKE_SCHEMA_VERSION;
  // Row order inside a partition does not matter to any reader; not keeping it saves memory.
  await db.run('SET preserve_insertion_order = false');
  await buildMetricValues(db, config);
  const result: LakeExportResult = {
    tables: 0,
    partitionsWritten: 0,
    partitionsRemoved: 0,
    partitionsUnchanged: 0,
    rows: 0,
    warnings,
  };
  const manifest: LakeManifest = {
    schemaVersion: LAKE_SCHEMA_VERSION,
    exportedAt: new Date().toISOString(),
    partitionColumn: 'event_date',
    tables: {},
  };
  for (const [table, spec] of Object.entries(LAKE_TABLES)) {
    const view = `SELECT *, strftime(${spec.time}, '%Y-%m-%d') AS event_date FROM ${spec.source}`;
    await db.run(`CREATE OR REPLACE TEMP VIEW lake_src AS ${await redactedView(db, view)}`);
    const parts = await db.all<{ event_date: string | null; n: bigint; h: bigint | null }>(
      `SELECT coalesce(event_date, '${UNKNOWN_PARTITION}') AS event_date, count(*) AS n, bit_xor(hash(x)) AS h FROM lake_src x GROUP BY 1 ORDER BY 1`,
    );
    const columns = await db.all<{ column_name: string; column_type: string }>(
      `DESCRIBE SELECT * EXCLUDE (event_date) FROM lake_src`,
    );
    const span = await db.one<{ lo: Date | null; hi: Date | null }>(
      `SELECT min(${spec.time}) AS lo, max(${spec.time}) AS hi FROM ${spec.source}`,
    );
    const old = schemaChanged ? undefined : previous?.tables[table];
    const current: Record<string, PartitionInfo> = Object.fromEntries(
      parts.map((p) => [p.event_date!, { rows: Number(p.n), checksum: String(p.h ?? 0) }]),
    );
    const changed = Object.keys(current).filter(
      (d) =>
        !old?.partitions[d] ||
        old.partitions[d].checksum !== current[d].checksum ||
        old.partitions[d].rows !== current[d].rows ||
        !existsSync(join(out, table, `event_date=${d}`)),
    );
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
      rows,
      partitions: current,
      minTime: span?.lo ? span.lo.toISOString() : null,
      maxTime: span?.hi ? span.hi.toISOString() : null,
      columns: columns
        .filter((c) => c.column_name !== 'event_date')
        .map((c) => ({ name: c.column_name, type: c.column_type })),
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
      if (st.isDirectory()) walk(full);
      else total += st.size;
    }
  };
  walk(dir);
  return total;
}
