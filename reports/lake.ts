// The Parquet lake: every canonical table, Hive-partitioned by tenant and then by day
// (<table>/tenant_id=<key>/event_date=<day>/), for Spark, Fabric, Databricks, Polars and ADX external
// tables. Incremental: a partition is rewritten only when its content checksum changed, into a staging
// folder first and then renamed into place, so a reader never sees half a partition. Metric values
// come from the named metric queries, by id, one set per tenant.
// _manifest.json is read back as untrusted: anyone who can write the lake folder could steer which
// folders the next export deletes, so a partition is deleted only by a key the lake itself makes.
// Tenant ids come from records: a folder is named by tenantKey (plain ids as they are, others slugged).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Db } from '../core/db.js';
import { registeredSecrets } from '../core/redact.js';
import { sqlString } from '../core/db.js';
import { timed } from '../core/profile.js';
import type { Config } from '../core/config.js';
import { writeFileAtomic } from '../core/output.js';
import { metricValuesByTenant } from './metric-values.js';
import {
  UNKNOWN_PARTITION,
  UNKNOWN_TENANT,
  deletableLegacyPartition,
  deletablePartition,
  isPartitionKey,
  privateFiles,
  readManifest,
  refuseLinkedFolder,
  tenantKey,
  type LakeManifest,
  type PartitionInfo,
} from './lake-manifest.js';

export { isPartitionKey, tenantKey, type LakeManifest };

/** What the export could not trust or do (a manifest it ignored, a partition it would not delete), for the CLI to print. */
export interface LakeExportResult {
  tables: number;
  partitionsWritten: number;
  partitionsRemoved: number;
  partitionsUnchanged: number;
  rows: number;
  /** Day partitions of the layout before tenants (schema version 1) this export removed. */
  legacyPartitionsRemoved: number;
  warnings: string[];
}

/** 2: partitioned by tenant, then day (1: by day only). */
export const LAKE_SCHEMA_VERSION = 2;
const PARTITIONS_PER_COPY = 31;

/** Each exported table, the time its rows are partitioned by, and the tenant of its rows (tenant_id). */
export const LAKE_TABLES: Record<string, { source: string; time: string }> = {
  audit_events: { source: 'audit_events', time: 'event_time' },
  pim_requests: { source: 'pim_requests', time: 'coalesce(requested_at, completed_at, decided_at)' },
  pim_approvals: { source: 'pim_approvals', time: 'decided_at' },
  pim_activations: { source: 'pim_activations', time: 'started_at' },
  role_assignments: { source: 'role_assignments', time: 'coalesce(start_at, observed_at)' },
  // Every plane's role settings and scope names (issue 23), by observation.
  role_policies: { source: 'role_policies', time: 'observed_at' },
  pim_scopes: { source: 'pim_scopes', time: 'observed_at' },
  // A quarantined line's tenant is its file's (NULL when the file's records name several, or none).
  quarantine: {
    source: `(SELECT q.*, (SELECT max(l.tenant_id) FROM landing_files l WHERE l.landed_file = q.landing_file) AS tenant_id FROM quarantine q)`,
    time: 'quarantined_at',
  },
  landing_files: { source: 'landing_files', time: 'landed_at' },
  metric_values: { source: 'lake_metric_values', time: 'month_start' },
};

/** The metric values as a temp table the lake exports like any other: one set per tenant. */
async function buildMetricValues(db: Db, config: Config): Promise<void> {
  await db.run(
    `CREATE OR REPLACE TEMP TABLE lake_metric_values (tenant_id VARCHAR, month_start TIMESTAMPTZ, month VARCHAR, plane VARCHAR, metric_id VARCHAR, measure VARCHAR, dimensions VARCHAR, value DOUBLE)`,
  );
  // Dimensions hold names from the data: through the appender, never as SQL text.
  await db.appendRows(
    'lake_metric_values',
    (await metricValuesByTenant(db, config)).map((v) => [
      v.tenant_id,
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

/** The folder key of every tenant a table holds, as a temp table (through the appender: ids are hostile). */
async function buildTenantKeys(db: Db, source: string, tenants: Record<string, string | null>): Promise<void> {
  await db.run('CREATE OR REPLACE TEMP TABLE lake_tenant_keys (lake_tenant_id VARCHAR, lake_tenant_key VARCHAR)');
  const ids = await db.all<{ t: string | null }>(`SELECT DISTINCT tenant_id AS t FROM ${source} s`);
  const rows = ids.filter((r) => r.t !== null).map((r) => [r.t!, tenantKey(r.t)] as const);
  for (const [id, key] of rows) tenants[key] = id;
  if (ids.some((r) => r.t === null)) tenants[UNKNOWN_TENANT] = null;
  await db.appendRows('lake_tenant_keys', rows);
}

const dayOf = (key: string) => key.slice(key.lastIndexOf('/') + 1);
const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The rows a COPY of these day partitions can hold, as a range on the table's own time column: a
 * filter DuckDB takes down to the scan, so each COPY reads the row groups of its days instead of the
 * whole table (10,000 days of partitions read a 10M-row table 330 times over without it). The key
 * filter after it stays the exact one.
 */
export function daysFilter(time: string, days: string[]): string {
  const known = days.filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)).sort();
  const ranges: string[] = [];
  if (known.length)
    ranges.push(
      `(${time} >= TIMESTAMPTZ '${known[0]} 00:00:00+00' AND ${time} < TIMESTAMPTZ '${known.at(-1)} 00:00:00+00' + INTERVAL 1 DAY)`,
    );
  // The unknown partition holds the rows without a time; any other key is not a day this module makes.
  if (known.length < days.length)
    ranges.push(days.every((d) => known.includes(d) || d === UNKNOWN_PARTITION) ? `${time} IS NULL` : 'true');
  return ranges.join(' OR ');
}

/** The same rows with every registered secret masked in text columns: the lake is an output like any other. */
async function redactedView(db: Db, view: string): Promise<string> {
  const secrets = registeredSecrets();
  if (!secrets.length) return view;
  const cols = await db.all<{ column_name: string; column_type: string }>(`DESCRIBE ${view}`);
  // Not the partition keys: the lake makes those (tenantKey, strftime), and a folder is named by them.
  const text = cols
    .filter((c) => c.column_type === 'VARCHAR' && c.column_name !== 'tenant_id' && c.column_name !== 'event_date')
    .map((c) => c.column_name);
  if (!text.length) return view;
  const mask = (col: string) =>
    secrets.reduce((e, s) => `replace(${e}, ${sqlString(s)}, '[redacted]')`, `"${col.replaceAll('"', '""')}"`);
  return `SELECT * REPLACE (${text.map((c) => `${mask(c)} AS "${c.replaceAll('"', '""')}"`).join(', ')}) FROM (${view})`;
}

/** Removes a folder the export emptied (a tenant whose last partition went). */
function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    /* gone already, or not ours to judge */
  }
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
  const read = readManifest(out, warnings);
  // A lake written before tenants: every partition is written anew under its tenant, and the old day
  // partitions go by the keys its manifest lists (each checked as a key the lake makes).
  const legacy = read?.schemaVersion === 1 ? read : undefined;
  const previous = read?.schemaVersion === LAKE_SCHEMA_VERSION ? read : undefined;
  // Row order inside a partition does not matter to any reader; not keeping it saves memory.
  await db.run('SET preserve_insertion_order = false');
  await timed('lake metric values', () => buildMetricValues(db, config));
  const result: LakeExportResult = {
    tables: 0,
    partitionsWritten: 0,
    partitionsRemoved: 0,
    partitionsUnchanged: 0,
    rows: 0,
    legacyPartitionsRemoved: 0,
    warnings,
  };
  const manifest: LakeManifest = {
    schemaVersion: LAKE_SCHEMA_VERSION,
    exportedAt: new Date().toISOString(),
    partitionColumns: ['tenant_id', 'event_date'],
    tenants: {},
    tables: {},
  };
  const day = `coalesce(event_date, '${UNKNOWN_PARTITION}')`;
  for (const [table, spec] of Object.entries(LAKE_TABLES)) {
    await buildTenantKeys(db, spec.source, manifest.tenants);
    // tenant_id becomes the folder key: the partition column readers get (files do not repeat it).
    const view = `SELECT s.* REPLACE (coalesce(k.lake_tenant_key, '${UNKNOWN_TENANT}') AS tenant_id), strftime(${spec.time}, '%Y-%m-%d') AS event_date
      FROM ${spec.source} s LEFT JOIN lake_tenant_keys k ON k.lake_tenant_id = s.tenant_id`;
    await db.run(`CREATE OR REPLACE TEMP VIEW lake_src AS ${await redactedView(db, view)}`);
    const parts = await timed(`lake ${table} checksums`, () =>
      db.all<{ key: string; n: bigint; h: bigint | null }>(
        `SELECT tenant_id || '/' || ${day} AS key, count(*) AS n, bit_xor(hash(x)) AS h FROM lake_src x GROUP BY 1 ORDER BY 1`,
      ),
    );
    const columns = await db.all<{ column_name: string; column_type: string }>(
      `DESCRIBE SELECT * EXCLUDE (tenant_id, event_date) FROM lake_src`,
    );
    const span = await db.one<{ lo: Date | null; hi: Date | null }>(
      `SELECT min(${spec.time}) AS lo, max(${spec.time}) AS hi FROM ${spec.source}`,
    );
    const old = previous?.tables[table];
    const current: Record<string, PartitionInfo> = Object.fromEntries(
      parts.map((p) => [p.key, { rows: Number(p.n), checksum: String(p.h ?? 0) }]),
    );
    const tableDir = join(out, table);
    const folder = (key: string) => {
      const [tenant, d] = key.split('/');
      return {
        tenantDir: join(tableDir, `tenant_id=${tenant}`),
        path: join(tableDir, `tenant_id=${tenant}`, `event_date=${d}`),
      };
    };
    const changed = Object.keys(current).filter(
      (k) =>
        !old?.partitions[k] ||
        old.partitions[k].checksum !== current[k].checksum ||
        old.partitions[k].rows !== current[k].rows ||
        !existsSync(folder(k).path),
    );
    refuseLinkedFolder(tableDir);
    const removed = Object.keys(old?.partitions ?? {}).filter((k) => !current[k]);
    // A month of partitions per COPY: PARTITION_BY keeps a writer open per partition, and a
    // thousand at once ran out of a 2 GB memory limit on 1M records. Day-major order keeps each
    // COPY's days together, so its time range (below) is a month, not the whole table.
    changed.sort((a, b) => compareKeys(dayOf(a), dayOf(b)) || compareKeys(a, b));
    for (let i = 0; i < changed.length; i += PARTITIONS_PER_COPY) {
      const batch = changed.slice(i, i + PARTITIONS_PER_COPY);
      const staging = join(out, `.staging-${table}-${process.pid}-${Date.now()}-${i}`);
      const list = batch.map((k) => sqlString(k)).join(', ');
      await timed(`lake ${table} copy ${i / PARTITIONS_PER_COPY}`, () =>
        db.run(`COPY (SELECT * REPLACE (${day} AS event_date) FROM lake_src
          WHERE (${daysFilter(spec.time, batch.map(dayOf))}) AND tenant_id || '/' || ${day} IN (${list}))
        TO ${sqlString(staging)} (FORMAT parquet, PARTITION_BY (tenant_id, event_date), COMPRESSION zstd, WRITE_PARTITION_COLUMNS false)`),
      );
      privateFiles(staging);
      mkdirSync(tableDir, { recursive: true, mode: 0o700 });
      for (const k of batch) {
        const { tenantDir, path: target } = folder(k);
        const [tenant, d] = k.split('/');
        const fresh = join(staging, `tenant_id=${tenant}`, `event_date=${d}`);
        refuseLinkedFolder(tenantDir);
        mkdirSync(tenantDir, { recursive: true, mode: 0o700 });
        const trash = `${target}.old-${process.pid}`;
        if (existsSync(target)) renameSync(target, trash);
        renameSync(fresh, target);
        rmSync(trash, { recursive: true, force: true });
      }
      rmSync(staging, { recursive: true, force: true });
    }
    let removedCount = 0;
    for (const k of removed) {
      const p = deletablePartition(tableDir, k);
      if ('refused' in p) {
        warnings.push(`${table}: did not delete partition ${JSON.stringify(k)} (${p.refused}).`);
        continue;
      }
      rmSync(p.path, { recursive: true, force: true });
      removeIfEmpty(folder(k).tenantDir);
      removedCount++;
    }
    // After the new partitions are in place: a reader of the folder sees old rows or new, then new only.
    let legacyCount = 0;
    for (const d of Object.keys(legacy?.tables[table]?.partitions ?? {})) {
      const p = deletableLegacyPartition(tableDir, d);
      if ('refused' in p) {
        warnings.push(
          `${table}: did not delete partition ${JSON.stringify(d)} of the layout before tenants (${p.refused}).`,
        );
        continue;
      }
      if (existsSync(p.path)) legacyCount++;
      rmSync(p.path, { recursive: true, force: true });
    }
    // Day partitions straight under the table that no manifest of this lake named: left alone, but said,
    // since a reader of the whole folder would count their rows beside the tenant partitions.
    const strays = existsSync(tableDir) ? readdirSync(tableDir).filter((f) => f.startsWith('event_date=')) : [];
    if (strays.length)
      warnings.push(
        `${table}: ${strays.length} folder(s) of the layout before tenants (${strays.slice(0, 3).join(', ')}${strays.length > 3 ? ', ...' : ''}) ` +
          'were not listed by a manifest this lake wrote, so they were left in place; readers of the folder see their rows twice: delete them.',
      );
    result.tables++;
    result.partitionsWritten += changed.length;
    result.partitionsRemoved += removedCount;
    result.legacyPartitionsRemoved += legacyCount;
    result.partitionsUnchanged += Object.keys(current).length - changed.length;
    const rows = parts.reduce((n, p) => n + Number(p.n), 0);
    result.rows += rows;
    manifest.tables[table] = {
      rows,
      partitions: current,
      minTime: span?.lo ? span.lo.toISOString() : null,
      maxTime: span?.hi ? span.hi.toISOString() : null,
      columns: columns.map((c) => ({ name: c.column_name, type: c.column_type })),
    };
    log?.(
      `${table}: ${rows} rows, ${changed.length} partitions written, ${removedCount} removed` +
        (legacyCount ? `, ${legacyCount} of the layout before tenants removed` : ''),
    );
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
