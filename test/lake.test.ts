// The Parquet lake read back by DuckDB itself: same rows, same content, after a full and after an
// incremental export; untouched partitions are not rewritten.
import { expandIncludes } from '../queries/registry.js';
import { describe, it, expect, afterAll } from 'vitest';
import { statSync, readFileSync, existsSync, readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTenant, emitFiles } from '../fixtures/generator/index.js';
import { importPaths, withDb } from '../cli/pipeline.js';
import { exportLake, isPartitionKey } from '../reports/lake.js';
import { tempDir, testConfig } from './helpers.js';
import { compareLake as compare } from './lake-compare.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('export parquet', () => {
  it('round-trips every table, then rewrites only the partitions that changed', async () => {
    const t = generateTenant({ seed: 11, admins: 8, start: new Date('2026-03-01T00:00:00Z'), days: 40 });
    const cut = t.records.findIndex((r) => r.activityDateTime >= '2026-03-30');
    emitFiles(t.records.slice(0, cut), t.tenant.id, { dir: join(tmp.dir, 'a'), seed: 1 });
    emitFiles(t.records.slice(cut), t.tenant.id, { dir: join(tmp.dir, 'b'), seed: 2 });
    const config = testConfig({}, tmp.dir);
    const dbPath = join(tmp.dir, 'p.duckdb');
    const lake = join(tmp.dir, 'lake');
    await importPaths(dbPath, config, [join(tmp.dir, 'a')]);
    const first = await withDb(dbPath, config, async (db) => {
      const r = await exportLake(db, config, lake);
      await compare(db, lake);
      return r;
    });
    expect(first.partitionsWritten).toBeGreaterThan(40);
    expect(first.partitionsUnchanged).toBe(0);
    const manifest = JSON.parse(readFileSync(join(lake, '_manifest.json'), 'utf8'));
    expect(manifest.tables.audit_events.rows).toBe(cut);
    expect(manifest.tables.metric_values.rows).toBeGreaterThan(10);
    const tenant = `tenant_id=${t.tenant.id}`;
    const early = join(lake, 'audit_events', tenant, 'event_date=2026-03-05');
    const earlyMtime = statSync(readdirSync(early).map((f) => join(early, f))[0]).mtimeMs;

    // Nothing new: nothing rewritten.
    const same = await withDb(dbPath, config, (db) => exportLake(db, config, lake));
    expect(same.partitionsWritten).toBe(0);

    await importPaths(dbPath, config, [join(tmp.dir, 'b')]);
    const second = await withDb(dbPath, config, async (db) => {
      const r = await exportLake(db, config, lake);
      await compare(db, lake);
      const metrics = await db.one<{ n: bigint }>(
        `SELECT count(*) AS n FROM read_parquet('${lake}/metric_values/*/*/*.parquet', hive_partitioning = true) WHERE metric_id = 'time_to_activate' AND measure = 'count' AND tenant_id = $t`,
        { t: t.tenant.id },
      );
      expect(Number(metrics!.n)).toBeGreaterThan(1);
      return r;
    });
    expect(second.partitionsWritten).toBeGreaterThan(5);
    expect(second.partitionsUnchanged).toBeGreaterThan(second.partitionsWritten);
    expect(statSync(readdirSync(early).map((f) => join(early, f))[0]).mtimeMs).toBe(earlyMtime);
    expect(readdirSync(lake).filter((f) => f.startsWith('.staging'))).toEqual([]);
    expect(existsSync(join(lake, 'audit_events', tenant, 'event_date=2026-04-09'))).toBe(true);
  });
});

describe('export parquet: a planted manifest', () => {
  it('takes as partition keys only a tenant key the lake makes and a real calendar day or the unknown partition', () => {
    const tid = '8f0c2a1e-1111-4222-8333-944445555666';
    expect(
      [`${tid}/2026-03-01`, `${tid}/2024-02-29`, `${tid}/unknown`, '__unknown/2026-03-01'].filter(isPartitionKey),
    ).toHaveLength(4);
    expect(
      [
        '2026-03-01',
        `${tid}/2026-02-30`,
        `${tid}/2026-13-01`,
        `${tid}/2026-3-1`,
        '/../../../victim',
        '../2026-03-01',
        `${tid}/..`,
        `${tid}/2026-03-01/..`,
        `..`,
        `_evil/2026-03-01`,
        `${tid.toUpperCase()}/2026-03-01`,
        `x/y/2026-03-01`,
        '',
      ].filter(isPartitionKey),
    ).toEqual([]);
  });

  it('never steers a deletion outside the lake: the manifest is ignored with a warning and the export is full', async () => {
    const t = generateTenant({ seed: 3, admins: 4, start: new Date('2026-03-01T00:00:00Z'), days: 10 });
    const dir = join(tmp.dir, 'planted');
    emitFiles(t.records, t.tenant.id, { dir: join(dir, 'in'), seed: 3 });
    const config = testConfig({}, dir);
    const dbPath = join(dir, 'p.duckdb');
    const lake = join(dir, 'lake');
    await importPaths(dbPath, config, [join(dir, 'in')]);
    const first = await withDb(dbPath, config, (db) => exportLake(db, config, lake));

    // audit_events/event_date=/../../../victim resolves to <dir>/victim, beside the lake.
    const victim = join(dir, 'victim');
    mkdirSync(victim);
    writeFileSync(join(victim, 'keep.txt'), 'precious');
    const manifest = JSON.parse(readFileSync(join(lake, '_manifest.json'), 'utf8'));
    manifest.tables.audit_events.partitions['/../../../victim'] = { rows: 1, checksum: '1' };
    manifest.tables.audit_events.partitions['../x'] = { rows: 1, checksum: '1' };
    writeFileSync(join(lake, '_manifest.json'), JSON.stringify(manifest));

    const again = await withDb(dbPath, config, async (db) => {
      const r = await exportLake(db, config, lake);
      await compare(db, lake);
      return r;
    });
    expect(readFileSync(join(victim, 'keep.txt'), 'utf8')).toBe('precious');
    expect(again.warnings).toHaveLength(1);
    expect(again.warnings[0]).toMatch(/_manifest\.json is not a manifest this lake wrote/);
    expect(again.partitionsRemoved).toBe(0);
    expect(again.partitionsUnchanged).toBe(0);
    expect(again.partitionsWritten).toBe(first.partitionsWritten);
    const rewritten = JSON.parse(readFileSync(join(lake, '_manifest.json'), 'utf8'));
    expect(
      Object.keys(rewritten.tables.audit_events.partitions).filter(
        (k) => !new RegExp(`^${t.tenant.id}/\\d{4}-\\d{2}-\\d{2}$`).test(k),
      ),
    ).toEqual([]);
    // Files of the lake are the owner's only.
    expect(first.warnings).toEqual([]);
    expect(statSync(join(lake, '_manifest.json')).mode & 0o777).toBe(0o600);
    const early = join(lake, 'audit_events', `tenant_id=${t.tenant.id}`, 'event_date=2026-03-02');
    expect(readdirSync(early).map((f) => statSync(join(early, f)).mode & 0o777)).toEqual([0o600]);
  });
});

import { spawnSync } from 'node:child_process';
import { tableFromIPC } from 'apache-arrow';
import { resolve } from 'node:path';
import { Db as DbClass } from '../core/db.js';

describe('arrow and parquet files from query and sql', () => {
  it('writes what the query returned, with its types, readable by apache-arrow and DuckDB', async () => {
    const t = generateTenant({ seed: 5, admins: 4, start: new Date('2026-05-01T00:00:00Z'), days: 20 });
    const dir = join(tmp.dir, 'arrow');
    emitFiles(t.records, t.tenant.id, { dir: join(dir, 'in'), seed: 5 });
    const config = testConfig({}, dir);
    const dbPath = join(dir, 'p.duckdb');
    await importPaths(dbPath, config, [join(dir, 'in')]);
    const run = (args: string[]) =>
      spawnSync(process.execPath, [resolve('bin/pimops.js'), '--db', dbPath, ...args], { encoding: 'utf8' });
    const sql = 'SELECT request_key, requested_at, approval_required, events FROM pim_requests ORDER BY request_key';
    const arrowFile = join(dir, 'r.arrow');
    const a = run(['sql', sql, '--format', 'arrow', '--out', arrowFile]);
    expect(a.status, a.stderr).toBe(0);
    const table = tableFromIPC(readFileSync(arrowFile));
    const expected = await withDb(dbPath, config, (db) => db.all(sql));
    expect(table.numRows).toBe(expected.length);
    const first = table.get(0)!.toJSON();
    expect(first.request_key).toBe(expected[0].request_key);
    expect(first.events).toBe(expected[0].events);
    expect(table.schema.fields.map((f) => String(f.type))).toEqual([
      'Utf8',
      'Timestamp<MILLISECOND, UTC>',
      'Bool',
      'Int64',
    ]);

    const pq = join(dir, 'h.parquet');
    const p = run([
      'query',
      'active_hours',
      '--from',
      '2026-05-01',
      '--to',
      '2026-06-01',
      '--format',
      'parquet',
      '--out',
      pq,
    ]);
    expect(p.status, p.stderr).toBe(0);
    const db = await DbClass.open(':memory:');
    const back = await db.all(`SELECT * FROM read_parquet('${pq}') ORDER BY principal_id, month`);
    db.close();
    const direct = await withDb(dbPath, config, (d) =>
      d.all(
        // With its fragments expanded, as the registry runs it.
        `SELECT * FROM (${expandIncludes('active_hours.sql', readFileSync('queries/active_hours.sql', 'utf8'))
          .replace(/^--.*$/gm, '')
          .replace(/;\s*$/, '')}) ORDER BY principal_id, month`,
        { from: '2026-05-01T00:00:00.000Z', to: '2026-06-01T00:00:00.000Z', as_of: '2026-06-01T00:00:00.000Z' },
      ),
    );
    expect(back).toEqual(direct);
    expect(back.length).toBe(direct.length);
    expect(back[0]).toEqual(direct[0]);

    const noOut = run(['sql', 'SELECT 1', '--format', 'arrow', '--json']);
    expect(noOut.status).toBe(2);
  });
});
