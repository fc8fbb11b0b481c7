// The Parquet lake partitioned by tenant (issue 21): a store of two tenants exports each tenant's rows and
// metric values under tenant_id=<id>/, which DuckDB's hive_partitioning reads back per tenant exactly; an
// unchanged store rewrites nothing; tenant ids from records never name a path; a lake written in the
// layout before tenants (day partitions only) moves to tenant partitions with no row read twice.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importPaths, withDb, withReadOnlyDb } from '../cli/pipeline.js';
import { writeDemoTenants } from '../cli/demo-tenants.js';
import { parseConfig, type Config } from '../core/config.js';
import { sqlString, type Db } from '../core/db.js';
import { applyTenant } from '../core/tenants.js';
import { metricValues } from '../reports/metric-values.js';
import { exportLake, LAKE_TABLES, tenantKey } from '../reports/lake.js';
import { tempDir } from './helpers.js';
import { compareLake } from './lake-compare.js';

const tmp = tempDir();
const window = {
  start: new Date('2026-07-01T00:00:00Z'),
  days: 24,
  from: new Date('2026-07-10T00:00:00Z'),
  to: new Date('2026-07-25T00:00:00Z'),
  label: '2026-07',
};
let tenants: Awaited<ReturnType<typeof writeDemoTenants>>;
let config: Config;
const db = join(tmp.dir, 'two.duckdb');

beforeAll(async () => {
  tenants = await writeDemoTenants({ seed: 21, admins: 4, n: 2, dir: join(tmp.dir, 'in'), window });
  config = parseConfig({
    tenants: tenants.map((t) => ({ id: t.tenant.tenant.id, name: t.profile.name })),
    storage: { landingDir: join(tmp.dir, 'landing') },
  });
  for (const t of tenants) await importPaths(db, config, [t.dir], undefined, t.tenant.tenant.id);
}, 120_000);
afterAll(() => tmp.cleanup());

const folders = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

/** The lake's metric values of one tenant, as comparable lines. */
async function lakeMetrics(d: Db, lake: string, tenant: string): Promise<string[]> {
  const rows = await d.all<Record<string, string | number | null>>(
    `SELECT month, plane, metric_id, measure, dimensions, value
     FROM read_parquet(${sqlString(`${lake}/metric_values/*/*/*.parquet`)}, hive_partitioning = true)
     WHERE tenant_id = $t`,
    { t: tenant },
  );
  return rows.map((v) => [v.month, v.plane ?? '', v.metric_id, v.measure, v.dimensions, v.value].join('|')).sort();
}

describe('the Parquet lake, by tenant', () => {
  it("puts each tenant's rows under tenant_id=<id>, each tenant's metric values as its own reader measures them, and rewrites nothing unchanged", async () => {
    const lake = join(tmp.dir, 'lake');
    const ids = tenants.map((t) => t.tenant.tenant.id).sort();
    const first = await withDb(db, config, async (d) => {
      const r = await exportLake(d, config, lake);
      await compareLake(d, lake);
      return r;
    });
    expect(first.warnings).toEqual([]);
    expect(first.legacyPartitionsRemoved).toBe(0);
    for (const table of ['audit_events', 'pim_requests', 'pim_activations', 'landing_files', 'metric_values'])
      expect(folders(join(lake, table)), table).toEqual(ids.map((id) => `tenant_id=${id}`));
    const manifest = JSON.parse(readFileSync(join(lake, '_manifest.json'), 'utf8'));
    expect(manifest.schemaVersion).toBe(2);
    expect(manifest.partitionColumns).toEqual(['tenant_id', 'event_date']);
    expect(Object.keys(manifest.tenants).sort()).toEqual(ids);

    // Each tenant's audit records, by DuckDB's reading of the folders, are the ones its files held.
    const perTenant = await withDb(db, config, (d) =>
      d.all<{ t: string; n: bigint }>(
        `SELECT tenant_id AS t, count(*) AS n FROM read_parquet(${sqlString(`${lake}/audit_events/*/*/*.parquet`)}, hive_partitioning = true) GROUP BY 1 ORDER BY 1`,
      ),
    );
    expect(perTenant.map((r) => [r.t, Number(r.n)])).toEqual(
      tenants.map((t) => [t.tenant.tenant.id, t.records]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );

    // Metric values: per tenant, what that tenant's own scoped reader computes, and differing between them.
    const expected: Record<string, string[]> = {};
    for (const id of ids) {
      expected[id] = await withReadOnlyDb(db, config, async (d) => {
        const scoped = await applyTenant(d, config, id);
        return (await metricValues(d, scoped.config))
          .map((v) => [v.month, v.plane ?? '', v.metric_id, v.measure, v.dimensions, v.value].join('|'))
          .sort();
      });
      expect(expected[id].length, id).toBeGreaterThan(10);
    }
    expect(expected[ids[0]]).not.toEqual(expected[ids[1]]);
    await withDb(db, config, async (d) => {
      for (const id of ids) expect(await lakeMetrics(d, lake, id), id).toEqual(expected[id]);
    });

    const again = await withDb(db, config, (d) => exportLake(d, config, lake));
    expect(again.partitionsWritten).toBe(0);
    expect(again.partitionsRemoved).toBe(0);
    expect(again.partitionsUnchanged).toBe(first.partitionsWritten);
  }, 120_000);

  it('names a tenant folder by a key the lake makes, never by the id a record brings', async () => {
    expect(tenantKey('8f0c2a1e-1111-4222-8333-944445555666')).toBe('8f0c2a1e-1111-4222-8333-944445555666');
    expect(tenantKey(null)).toBe('__unknown');
    const hostile = ['../../../victim', 'a/b', '..', 'tenant_id=x', '__unknown', 'Upper', 'x'.repeat(65)];
    const keys = hostile.map(tenantKey);
    expect(new Set(keys).size).toBe(hostile.length);
    for (const k of keys) expect(k).toMatch(/^__x-[a-z0-9-]{0,32}-[0-9a-f]{16}$/);

    // Records of this store whose tid is a path: imported, they become tenants of their own.
    const dir = join(tmp.dir, 'hostile');
    const store = join(dir, 'h.duckdb');
    const own = parseConfig({ storage: { landingDir: join(dir, 'landing') } });
    const [a] = tenants;
    const lines = hostile.slice(0, 3).map((tid, i) => {
      const r = a.tenant.records[i];
      return JSON.stringify({
        ...r,
        id: `${r.id}-h${i}`,
        additionalDetails: [...r.additionalDetails.filter((x) => x.key !== 'tid'), { key: 'tid', value: tid }],
      });
    });
    mkdirSync(join(dir, 'in'), { recursive: true });
    writeFileSync(join(dir, 'in', 'h.json'), lines.join('\n') + '\n');
    await importPaths(store, own, [join(dir, 'in')]);
    const lake = join(dir, 'lake');
    const r = await withDb(store, own, async (d) => {
      const stored = await d.all<{ t: string }>('SELECT DISTINCT tenant_id AS t FROM audit_events ORDER BY 1');
      expect(stored.map((x) => x.t)).toEqual(hostile.slice(0, 3).sort());
      return exportLake(d, own, lake);
    });
    expect(r.warnings).toEqual([]);
    expect(folders(dir)).toEqual(['h.duckdb', 'in', 'lake', 'landing']);
    expect(folders(join(lake, 'audit_events'))).toEqual(
      hostile
        .slice(0, 3)
        .map((t) => `tenant_id=${tenantKey(t)}`)
        .sort(),
    );
    // The manifest says which id each folder holds.
    const manifest = JSON.parse(readFileSync(join(lake, '_manifest.json'), 'utf8'));
    for (const t of hostile.slice(0, 3)) expect(manifest.tenants[tenantKey(t)]).toBe(t);
  }, 60_000);
});

/** The lake as the layout before tenants wrote it: day partitions straight under each table, manifest version 1. */
async function writeLegacyLake(d: Db, lake: string): Promise<number> {
  const tables: Record<string, unknown> = {};
  let folders = 0;
  for (const [table, spec] of Object.entries(LAKE_TABLES)) {
    if (table === 'metric_values') continue;
    const view = `SELECT *, coalesce(strftime(${spec.time}, '%Y-%m-%d'), 'unknown') AS event_date FROM ${spec.source}`;
    const parts = await d.all<{ event_date: string; n: bigint; h: bigint }>(
      `SELECT event_date, count(*) AS n, bit_xor(hash(x)) AS h FROM (${view}) x GROUP BY 1`,
    );
    if (!parts.length) continue;
    await d.run(
      `COPY (${view}) TO ${sqlString(join(lake, table))} (FORMAT parquet, PARTITION_BY (event_date), WRITE_PARTITION_COLUMNS false)`,
    );
    folders += parts.length;
    tables[table] = {
      rows: parts.reduce((n, p) => n + Number(p.n), 0),
      partitions: Object.fromEntries(parts.map((p) => [p.event_date, { rows: Number(p.n), checksum: String(p.h) }])),
      minTime: null,
      maxTime: null,
      columns: [],
    };
  }
  const manifest = { schemaVersion: 1, exportedAt: new Date().toISOString(), partitionColumn: 'event_date', tables };
  writeFileSync(join(lake, '_manifest.json'), JSON.stringify(manifest));
  return folders;
}

describe('the Parquet lake, written before tenants', () => {
  it('moves to tenant partitions: the old day partitions go, by the keys the old manifest lists, and no row is read twice', async () => {
    const lake = join(tmp.dir, 'old-lake');
    mkdirSync(lake);
    const made = await withDb(db, config, (d) => writeLegacyLake(d, lake));
    expect(folders(join(lake, 'audit_events')).every((f) => f.startsWith('event_date='))).toBe(true);
    // A folder in the old layout that the manifest does not list: left alone, and said.
    const stray = join(lake, 'audit_events', 'event_date=2001-01-01');
    mkdirSync(stray);
    writeFileSync(join(stray, 'keep.txt'), 'not the lake');

    const r = await withDb(db, config, async (d) => {
      const res = await exportLake(d, config, lake);
      await compareLake(d, lake);
      return res;
    });
    expect(r.legacyPartitionsRemoved).toBe(made);
    expect(r.partitionsUnchanged).toBe(0);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/audit_events: 1 folder\(s\) of the layout before tenants \(event_date=2001-01-01\)/);
    expect(readFileSync(join(stray, 'keep.txt'), 'utf8')).toBe('not the lake');
    for (const table of Object.keys(LAKE_TABLES))
      expect(
        folders(join(lake, table)).filter((f) => !f.startsWith('tenant_id=') && f !== 'event_date=2001-01-01'),
        table,
      ).toEqual([]);
    // Every Parquet file under the lake, whatever its depth, is a tenant partition's: nothing counted twice.
    const all = await withDb(db, config, (d) =>
      d.one<{ n: bigint }>(
        `SELECT count(*) AS n FROM read_parquet(${sqlString(`${lake}/audit_events/**/*.parquet`)}, hive_partitioning = true)`,
      ),
    );
    const stored = await withDb(db, config, (d) => d.one<{ n: bigint }>('SELECT count(*) AS n FROM audit_events'));
    expect(all!.n).toBe(stored!.n);
    const again = await withDb(db, config, (d) => exportLake(d, config, lake));
    expect([again.partitionsWritten, again.legacyPartitionsRemoved]).toEqual([0, 0]);
  }, 120_000);

  it('deletes nothing an old manifest names outside the lake or through a link', async () => {
    const dir = join(tmp.dir, 'old-planted');
    const lake = join(dir, 'lake');
    mkdirSync(lake, { recursive: true });
    await withDb(db, config, (d) => writeLegacyLake(d, lake));
    const victim = join(dir, 'victim');
    mkdirSync(victim);
    writeFileSync(join(victim, 'keep.txt'), 'precious');
    // A day partition the manifest lists, swapped for a link to the victim: refused.
    const linked = join(lake, 'pim_requests', readdirSync(join(lake, 'pim_requests'))[0]);
    const day = linked.replace(/.*event_date=/, '');
    await import('node:fs').then((fs) => fs.rmSync(linked, { recursive: true }));
    symlinkSync(victim, linked);
    const r = await withDb(db, config, (d) => exportLake(d, config, lake));
    expect(readFileSync(join(victim, 'keep.txt'), 'utf8')).toBe('precious');
    expect(r.warnings.join('\n')).toMatch(new RegExp(`pim_requests: did not delete partition "${day}".*symbolic link`));

    // A manifest of the old layout listing a path: ignored whole (nothing deleted), and the export is full.
    const m = join(dir, 'lake2');
    mkdirSync(m);
    await withDb(db, config, (d) => writeLegacyLake(d, m));
    const manifest = JSON.parse(readFileSync(join(m, '_manifest.json'), 'utf8'));
    manifest.tables.audit_events.partitions['/../../../victim'] = { rows: 1, checksum: '1' };
    writeFileSync(join(m, '_manifest.json'), JSON.stringify(manifest));
    const ignored = await withDb(db, config, (d) => exportLake(d, config, m));
    expect(readFileSync(join(victim, 'keep.txt'), 'utf8')).toBe('precious');
    expect(ignored.legacyPartitionsRemoved).toBe(0);
    expect(ignored.warnings[0]).toMatch(/_manifest\.json is not a manifest this lake wrote/);
    expect(ignored.warnings.slice(1).join('\n')).toMatch(/audit_events: \d+ folder\(s\) of the layout before tenants/);
  }, 120_000);
});
