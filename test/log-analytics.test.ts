// `pimops ingest log-analytics` through the real @azure/monitor-query-logs client against the
// loopback fake, and Log Analytics exports through `pimops import`: both reach the same tables as
// the Graph shape of the same events.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { generateTenant, emitFiles, toLogAnalyticsRow } from '../fixtures/generator/index.js';
import { importPaths, withDb } from '../cli/pipeline.js';
import { ingestLogAnalytics } from '../cli/pulls.js';
import { startFakeAzure, fakeEnv, fakeAzureConfig, sizeLimitAnswer, type FakeAzure } from './fakes/azure-fake.js';
import { tempDir, testConfig } from './helpers.js';

const tmp = tempDir();
let fake: FakeAzure;
let rows: Record<string, unknown>[];
const START = new Date('2026-08-01T00:00:00Z');
const END = new Date('2026-08-15T00:00:00Z');

const COLUMN_TYPES: Record<string, string> = {
  TimeGenerated: 'datetime',
  ActivityDateTime: 'datetime',
  InitiatedBy: 'dynamic',
  TargetResources: 'dynamic',
  AdditionalDetails: 'dynamic',
};

/** Answers KQL like the service: the rows whose TimeGenerated falls in the query's window. */
function answer(
  body: { query: string },
  partialOver?: number,
  sizeLimitOver?: { ms: number; as: 'error' | 'partial' },
) {
  if (body.query.startsWith('AADNonInteractiveUserSignInLogs')) {
    // A refresh token redeemed for the break-glass account at night: use that SigninLogs never shows.
    return {
      body: {
        tables: [
          {
            name: 'PrimaryResult',
            columns: [
              { name: 'Id', type: 'string' },
              { name: 'TimeGenerated', type: 'datetime' },
              { name: 'UserId', type: 'string' },
              { name: 'UserPrincipalName', type: 'string' },
              { name: 'AppDisplayName', type: 'string' },
              { name: 'IPAddress', type: 'string' },
              { name: 'ResultType', type: 'string' },
              { name: 'ConditionalAccessStatus', type: 'string' },
            ],
            rows: [
              [
                'si-la-ni-1',
                '2026-08-05T01:00:00Z',
                'bg-id',
                'bg@contoso.example',
                'Microsoft Azure CLI',
                '203.0.113.4',
                '0',
                'notApplied',
              ],
            ],
          },
        ],
      },
    };
  }
  if (body.query.startsWith('SigninLogs')) {
    return {
      body: {
        tables: [
          {
            name: 'PrimaryResult',
            columns: [
              { name: 'Id', type: 'string' },
              { name: 'TimeGenerated', type: 'datetime' },
              { name: 'UserId', type: 'string' },
              { name: 'UserPrincipalName', type: 'string' },
              { name: 'AppDisplayName', type: 'string' },
              { name: 'IPAddress', type: 'string' },
              { name: 'ResultType', type: 'string' },
              { name: 'ConditionalAccessStatus', type: 'string' },
            ],
            rows: [
              [
                'si-la-1',
                '2026-08-03T02:00:00Z',
                'bg-id',
                'bg@contoso.example',
                'Azure Portal',
                '198.51.100.9',
                '0',
                'success',
              ],
            ],
          },
        ],
      },
    };
  }
  const m = /TimeGenerated >= datetime\(([^)]+)\) and TimeGenerated < datetime\(([^)]+)\)/.exec(body.query)!;
  const from = Date.parse(m[1]);
  const to = Date.parse(m[2]);
  const hit = rows.filter((r) => {
    const t = Date.parse(String(r.TimeGenerated));
    return t >= from && t < to;
  });
  const names = Object.keys(rows[0]);
  const table = {
    name: 'PrimaryResult',
    columns: names.map((n) => ({ name: n, type: COLUMN_TYPES[n] ?? 'string' })),
    rows: hit.map((r) => names.map((n) => (COLUMN_TYPES[n] === 'dynamic' ? JSON.stringify(r[n]) : r[n]))),
  };
  if (sizeLimitOver && to - from > sizeLimitOver.ms)
    return sizeLimitAnswer(sizeLimitOver.as, { ...table, rows: table.rows.slice(0, 3) });
  if (partialOver !== undefined && to - from > partialOver) {
    return {
      body: {
        tables: [{ ...table, rows: table.rows.slice(0, 3) }],
        error: {
          code: 'PartialError',
          message: 'Query result set has exceeded the internal record count limit',
          details: [],
        },
      },
    };
  }
  return { body: { tables: [table] } };
}

const CHECKSUM_SQL = `SELECT (SELECT count(*) FROM audit_events) AS events,
  (SELECT bit_xor(hash(event_id, event_time, activity, request_key, role_id, principal_id, actor_id)) FROM audit_events) AS e,
  (SELECT bit_xor(hash(request_key, decision, requested_at, activated_at, ended_at, approver_id)) FROM pim_requests) AS r`;

let graphChecksum: unknown;
beforeAll(async () => {
  const t = generateTenant({ seed: 31, admins: 6, start: START, days: 14 });
  rows = t.records
    .map((r) => toLogAnalyticsRow(r, t.tenant.id))
    .filter((r) => Date.parse(String(r.TimeGenerated)) < END.getTime());
  const keep = new Set(rows.map((r) => r.Id));
  emitFiles(
    t.records.filter((r) => keep.has(r.id)),
    t.tenant.id,
    { dir: join(tmp.dir, 'graph-files'), seed: 3 },
  );
  const config = testConfig({}, join(tmp.dir, 'ref'));
  await importPaths(join(tmp.dir, 'ref', 'p.duckdb'), config, [join(tmp.dir, 'graph-files')]);
  graphChecksum = await withDb(join(tmp.dir, 'ref', 'p.duckdb'), config, (db) => db.one(CHECKSUM_SQL));
  fake = await startFakeAzure();
  Object.assign(process.env, fakeEnv(fake));
});
afterAll(async () => {
  await fake.close();
  tmp.cleanup();
});

describe('ingest log-analytics', () => {
  it('pulls day slices into the same tables as the Graph shape', async () => {
    fake.laHandler = (b) => answer(b);
    const d = join(tmp.dir, 'la1');
    const config = testConfig({ breakGlassAccounts: ['bg@contoso.example'], azure: fakeAzureConfig(fake) }, d);
    const r = await ingestLogAnalytics(join(d, 'p.duckdb'), config, { workspaceId: 'ws-1', since: START, until: END });
    expect(r.slices).toBe(14);
    // Both kinds: SigninLogs (interactive) and AADNonInteractiveUserSignInLogs.
    expect(r.signIns).toBe(2);
    expect(r.signInKinds).toEqual(['interactiveUser', 'nonInteractiveUser']);
    expect(fake.laRequests.at(-1)!.body.query).toMatch(/^AADNonInteractiveUserSignInLogs[\s\S]*"bg@contoso.example"/);
    expect(fake.laRequests.at(-2)!.body.query).toMatch(/^SigninLogs[\s\S]*"bg@contoso.example"/);
    const si = await withDb(join(d, 'p.duckdb'), config, (db) =>
      db.all('SELECT sign_in_id, user_principal_name, created_at, event_type FROM sign_ins ORDER BY created_at'),
    );
    expect(si).toEqual([
      {
        sign_in_id: 'si-la-1',
        user_principal_name: 'bg@contoso.example',
        created_at: new Date('2026-08-03T02:00:00Z'),
        event_type: 'interactiveUser',
      },
      {
        sign_in_id: 'si-la-ni-1',
        user_principal_name: 'bg@contoso.example',
        created_at: new Date('2026-08-05T01:00:00Z'),
        event_type: 'nonInteractiveUser',
      },
    ]);
    expect(r.rows).toBe(rows.length);
    expect(fake.laRequests.at(-3)!.body.timespan).toMatch(/^2026-08-14T00:00:00.000Z\/2026-08-15T00:00:00.000Z$/);
    expect(await withDb(join(d, 'p.duckdb'), config, (db) => db.one(CHECKSUM_SQL))).toEqual(graphChecksum);
  });

  it('splits a slice that comes back partial, and never lands the partial rows', async () => {
    fake.laHandler = (b) => answer(b, 6 * 3_600_000);
    const d = join(tmp.dir, 'la2');
    const config = testConfig({ azure: fakeAzureConfig(fake) }, d);
    const r = await ingestLogAnalytics(join(d, 'p.duckdb'), config, { workspaceId: 'ws-1', since: START, until: END });
    expect(r.splits).toBe(14 * 3); // 24 h → 12 h → 6 h: three splits per day
    expect(r.rows).toBe(rows.length);
    expect(await withDb(join(d, 'p.duckdb'), config, (db) => db.one(CHECKSUM_SQL))).toEqual(graphChecksum);
  });

  for (const as of ['error', 'partial'] as const) {
    it(`halves a slice on a size-limit ${as === 'error' ? 'error' : 'partial result'} until the result fits`, async () => {
      fake.laHandler = (b) => answer(b, undefined, { ms: 6 * 3_600_000, as });
      const d = join(tmp.dir, `la-size-${as}`);
      const config = testConfig({ azure: fakeAzureConfig(fake) }, d);
      const r = await ingestLogAnalytics(join(d, 'p.duckdb'), config, {
        workspaceId: 'ws-1',
        since: START,
        until: END,
      });
      expect(r.splits).toBe(14 * 3); // 24 h → 12 h → 6 h
      expect(r.rows).toBe(rows.length);
      expect(await withDb(join(d, 'p.duckdb'), config, (db) => db.one(CHECKSUM_SQL))).toEqual(graphChecksum);
    });
  }

  it('splits a slice that reaches the row cap', async () => {
    fake.laHandler = (b) => answer(b);
    const d = join(tmp.dir, 'la3');
    const config = testConfig({ azure: fakeAzureConfig(fake) }, d);
    const perDay = Math.max(
      ...Array.from(
        { length: 14 },
        (_, i) =>
          rows.filter((r) => String(r.TimeGenerated).startsWith(`2026-08-${String(i + 1).padStart(2, '0')}`)).length,
      ),
    );
    const r = await ingestLogAnalytics(join(d, 'p.duckdb'), config, {
      workspaceId: 'ws-1',
      since: START,
      until: END,
      rowCap: Math.ceil(perDay * 0.75),
    });
    expect(r.splits).toBeGreaterThan(0);
    expect(r.rows).toBe(rows.length);
  });
});

describe('Log Analytics exports through import', () => {
  it('reads a CSV export (dynamic columns as JSON text) and a JSON export into the same tables', async () => {
    const d = join(tmp.dir, 'csv');
    mkdirSync(d, { recursive: true });
    const names = Object.keys(rows[0]);
    writeFileSync(
      join(d, 'AuditLogs.csv'),
      stringify([
        names,
        ...rows.map((r) => names.map((n) => (typeof r[n] === 'object' && r[n] !== null ? JSON.stringify(r[n]) : r[n]))),
      ]),
    );
    const config = testConfig({}, d);
    const s = await importPaths(join(d, 'p.duckdb'), config, [join(d, 'AuditLogs.csv')]);
    expect(s).toMatchObject({ records: rows.length, new: rows.length, quarantined: 0 });
    expect(await withDb(join(d, 'p.duckdb'), config, (db) => db.one(CHECKSUM_SQL))).toEqual(graphChecksum);

    // The Log Analytics copy of records the store already has from Graph: duplicates, not conflicts
    // (fields that differ only by shape, like AADOperationType vs operationType, are not compared).
    const both = await importPaths(join(tmp.dir, 'ref', 'p.duckdb'), testConfig({}, join(tmp.dir, 'ref')), [
      join(d, 'AuditLogs.csv'),
    ]);
    expect(both).toMatchObject({ new: 0, duplicates: rows.length, quarantined: 0 });
    const diff = await withDb(join(tmp.dir, 'ref', 'p.duckdb'), testConfig({}, join(tmp.dir, 'ref')), (db) =>
      db.all('SELECT differs, count(*) AS n FROM id_conflicts GROUP BY 1'),
    );
    expect(diff).toEqual([]);

    const j = join(tmp.dir, 'json');
    mkdirSync(j, { recursive: true });
    writeFileSync(join(j, 'query-result.json'), JSON.stringify(rows));
    const cj = testConfig({}, j);
    await importPaths(join(j, 'p.duckdb'), cj, [join(j, 'query-result.json')]);
    expect(await withDb(join(j, 'p.duckdb'), cj, (db) => db.one(CHECKSUM_SQL))).toEqual(graphChecksum);
  });
});
