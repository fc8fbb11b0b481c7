// Existing stores migrate in place (issue 21): stores made by pimops at ecfbdf8, before stores kept
// many tenants (test/fixtures/README.md), opened by today's CLI. A reader before any writer says what
// to run instead of DuckDB's binder error; after one writer every table carries tenant_id, filled with
// the tenant the records name (or the configured `tenant` when they name none), nothing is lost or
// counted twice, and metrics, checks and the report equal those of the same landed files transformed
// fresh by today's code.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { transformPending } from '../cli/pipeline.js';
import { loadConfig, parseConfig } from '../core/config.js';
import { Db } from '../core/db.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const NAMED_TENANT = '02ff0fdc-fa16-42f3-a57d-67d0775b3d6b';
const CONFIGURED_TENANT = '2802a00c-4cf8-422a-a5c3-730bd19a3d22';
// Lookup and bookkeeping tables, the same in every tenant, and quarantine (a line's tenant is its file's).
const UNTENANTED = ['pim_activity_map', 'roles', 'transform_state', 'quarantine'];
const COUNTED = ['audit_events', 'pim_requests', 'pim_activations', 'pim_approvals', 'role_assignments'];

/** Unpacks the fixture (ustar, as test/fixtures/README.md makes it) into dir. */
function unpack(archive: string, dir: string): void {
  const tar = gunzipSync(readFileSync(archive));
  const text = (a: number, b: number, at: number) => tar.toString('latin1', at + a, at + b).replace(/\0.*$/s, '');
  for (let at = 0; at + 512 <= tar.length;) {
    const name = text(345, 500, at) ? `${text(345, 500, at)}/${text(0, 100, at)}` : text(0, 100, at);
    if (!name) break;
    const size = parseInt(text(124, 136, at).trim() || '0', 8);
    if (name.split('/').includes('..') || name.startsWith('/')) throw new Error(`fixture entry ${name}`);
    const path = join(dir, name);
    if (text(156, 157, at) === '5') mkdirSync(path, { recursive: true });
    else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, tar.subarray(at + 512, at + 512 + size));
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
}

function cli(db: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [resolve('bin/pimops.js'), '--db', db, ...args], {
    encoding: 'utf8',
    cwd: tmp.dir,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function readStore<T>(path: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await Db.openReadOnly(path);
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

const counts = (path: string) =>
  readStore(path, async (db) => {
    const out: Record<string, number> = {};
    for (const t of COUNTED) out[t] = Number((await db.one<{ n: bigint }>(`SELECT count(*) AS n FROM ${t}`))!.n);
    return out;
  });

/** Per table with rows: how many rows have each tenant_id (the table lacking the column: 'no tenant_id'). */
const tenantsByTable = (path: string) =>
  readStore(path, async (db) => {
    const tables = await db.all<{ t: string; has: boolean }>(
      `SELECT table_name AS t, bool_or(column_name = 'tenant_id') AS has FROM duckdb_columns()
       WHERE schema_name = 'main' AND database_name = current_database() GROUP BY 1 ORDER BY 1`,
    );
    const out: Record<string, string[]> = {};
    for (const { t, has } of tables) {
      if (UNTENANTED.includes(t)) continue;
      const n = (await db.one<{ n: bigint }>(`SELECT count(*) AS n FROM "${t}"`))!.n;
      if (n === 0n) continue;
      out[t] = has
        ? (await db.all<{ v: string | null }>(`SELECT DISTINCT tenant_id AS v FROM "${t}"`))
            .map((r) => String(r.v))
            .sort()
        : ['no tenant_id'];
    }
    return out;
  });

/** The report for August 2026 through the CLI (its JSON holds the metrics and findings), but the time it was made. */
function report(db: string): Record<string, unknown> {
  const out = `${db}.report.json`;
  const r = cli(db, 'report', '--period', '2026-08', '--out', out);
  expect(r.status, r.stderr).toBe(0);
  const { generatedAt, ...rest } = JSON.parse(readFileSync(out, 'utf8')) as { generatedAt: string };
  expect(Date.parse(generatedAt)).toBeGreaterThan(0);
  return rest;
}

/** The same landed files in a new store, transformed by today's code. */
async function fresh(name: string, configFile?: string): Promise<string> {
  const db = join(tmp.dir, `${name}-fresh.duckdb`);
  cpSync(join(tmp.dir, 'old', `${name}.landing`), join(tmp.dir, `${name}-fresh.landing`), { recursive: true });
  await transformPending(db, configFile ? loadConfig(configFile) : parseConfig({}));
  return db;
}

beforeAll(() => {
  unpack('test/fixtures/store-ecfbdf8.tar.gz', join(tmp.dir, 'old'));
  cpSync(join(tmp.dir, 'old'), join(tmp.dir, 'up'), { recursive: true });
});

describe('a store made before tenants (ecfbdf8)', () => {
  it('tells a reader to run a writer first, instead of failing with a binder error', () => {
    const db = join(tmp.dir, 'up', 'named.duckdb');
    for (const args of [
      ['metrics', '--period', '2026-08'],
      ['report', '--period', '2026-08', '--out', join(tmp.dir, 'early.md')],
      ['checks', '--period', '2026-08'],
    ]) {
      const r = cli(db, ...args);
      expect(r.status, args[0]).toBe(1);
      expect(r.stderr, args[0]).toMatch(
        /was made by an earlier pimops and lacks what this version adds \(pim_scopes, /,
      );
      expect(r.stderr, args[0]).toContain(`run a writer once, 'pimops transform --db ${db}'`);
      expect(r.stderr, args[0]).not.toMatch(/Binder Error|Catalog Error/);
    }
    const j = cli(db, 'metrics', '--json');
    expect(JSON.parse(j.stdout)).toMatchObject({ code: 'database-outdated' });
  });

  it('migrates in place: every table takes the tenant its records name, nothing lost or doubled, answers as fresh', async () => {
    const db = join(tmp.dir, 'up', 'named.duckdb');
    const before = await counts(db);
    expect(before.audit_events).toBe(530);
    // At ecfbdf8 only some records said their tenant (252 of 530); no other table had the column.
    expect(await tenantsByTable(db)).toMatchObject({
      audit_events: ['null', NAMED_TENANT].sort(),
      pim_requests: ['no tenant_id'],
    });

    const w = cli(db, 'transform');
    expect(w.status, w.stderr).toBe(0);
    const after = await tenantsByTable(db);
    expect(Object.keys(after).sort()).toEqual([
      'access_review_definitions',
      'audit_events',
      'coverage_starts',
      'directory_users',
      'int_pim_events',
      'landing_files',
      'pim_activations',
      'pim_approvals',
      'pim_requests',
      'role_assignments',
      'role_definitions',
      'role_policies',
    ]);
    for (const [table, tenants] of Object.entries(after)) expect(tenants, table).toEqual([NAMED_TENANT]);
    const unique = await readStore(db, (d) =>
      d.one<{ n: bigint }>('SELECT count(DISTINCT (tenant_id, event_id)) AS n FROM audit_events'),
    );
    expect(Number(unique!.n)).toBe(530);

    const other = await fresh('named');
    expect(await counts(db)).toEqual(await counts(other));
    expect(await counts(db)).toMatchObject({ audit_events: before.audit_events });
    const up = report(db);
    expect(up).toEqual(report(other));
    const c = cli(db, 'checks', '--period', '2026-08', '--json');
    expect(c.stderr).toMatch(/^\d+ findings: /);
    const checks = JSON.parse(c.stdout) as { summary: unknown; findings: unknown[] };
    expect(checks.findings.length).toBeGreaterThan(5);
    expect(checks.summary).toEqual((up.findings as { summary: unknown }).summary);
    expect(JSON.stringify(up.metrics)).toContain('"timeToActivate"');
  });

  it('places records that name no tenant in the configured tenant, and answers as the same files fresh', async () => {
    const db = join(tmp.dir, 'up', 'unnamed.duckdb');
    const configFile = join(tmp.dir, 'unnamed.config.json');
    writeFileSync(configFile, JSON.stringify({ tenant: CONFIGURED_TENANT }));
    const before = await counts(db);
    expect(await tenantsByTable(db)).toMatchObject({ audit_events: ['null'] });
    const w = cli(db, '--config', configFile, 'transform');
    expect(w.status, w.stderr).toBe(0);
    const after = await tenantsByTable(db);
    for (const [table, tenants] of Object.entries(after)) expect(tenants, table).toEqual([CONFIGURED_TENANT]);
    const other = await fresh('unnamed', configFile);
    expect(await counts(db)).toEqual(await counts(other));
    expect((await counts(db)).audit_events).toBe(before.audit_events);
    // The metrics reader alone here: the report and checks of an upgraded store are compared above.
    const metrics = (path: string) => {
      const r = cli(path, '--config', configFile, 'metrics', '--period', '2026-08', '--json');
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { activeHours: unknown[] };
    };
    const up = metrics(db);
    expect(up).toEqual(metrics(other));
    expect(up.activeHours.length).toBeGreaterThan(2);
  });
});
