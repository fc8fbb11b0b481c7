// The Sentinel export of a store of two tenants (issue 21): every row carries its tenant and a RowId
// that starts with it, each tenant goes to the DCR its configuration names (its own workspace, else
// the shared one), what was sent is remembered per tenant and destination, and a store of several
// refuses to mix them.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { importPaths, withDb } from '../cli/pipeline.js';
import { writeDemoTenants } from '../cli/demo-tenants.js';
import { createCredential } from '../core/azure.js';
import { parseConfig, type Config } from '../core/config.js';
import { exportSentinelStore } from '../reports/sentinel/index.js';
import { SENTINEL_TABLES, streamName } from '../reports/sentinel/tables.js';
import { tablesAndDcrTemplate } from '../reports/sentinel/templates.js';
import { startFakeAzure, fakeEnv, fakeAzureConfig, type FakeAzure } from './fakes/azure-fake.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
const SHARED = 'dcr-5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a';
const OWN = 'dcr-0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b';
const window = {
  start: new Date('2026-07-01T00:00:00Z'),
  days: 20,
  from: new Date('2026-07-01T00:00:00Z'),
  to: new Date('2026-07-21T00:00:00Z'),
  label: '2026-07',
};
const period = { from: window.from, to: window.to, asOf: window.to };
const dbPath = join(tmp.dir, 'two.duckdb');
let fake: FakeAzure;
let tenants: Awaited<ReturnType<typeof writeDemoTenants>>;
let prod: string;
let dev: string;

/** The configuration: dev names its own DCR unless `shared`. */
function configOf(shared = false): Config {
  return parseConfig({
    storage: { landingDir: join(tmp.dir, 'landing') },
    azure: fakeAzureConfig(fake),
    sentinel: { ingestionEndpoint: fake.url, dcrImmutableId: SHARED },
    tenants: tenants.map((t) => ({
      id: t.tenant.tenant.id,
      name: t.profile.name,
      ...(t.profile.name === 'contoso-dev' && !shared ? { sentinel: { dcrImmutableId: OWN } } : {}),
    })),
  });
}

const exportAll = (config: Config, out: string) =>
  withDb(dbPath, config, (db) =>
    exportSentinelStore(db, config, join(tmp.dir, out), {
      period,
      allTenants: true,
      upload: true,
      credential: (c) => createCredential(c),
    }),
  );

beforeAll(async () => {
  fake = await startFakeAzure();
  Object.assign(process.env, fakeEnv(fake));
  const dcr = (
    tablesAndDcrTemplate() as { resources: { type: string; properties: Record<string, unknown> }[] }
  ).resources.find((x) => x.type === 'Microsoft.Insights/dataCollectionRules')!;
  fake.dcr = {
    immutableId: SHARED,
    streams: Object.fromEntries(
      Object.entries(
        dcr.properties.streamDeclarations as Record<string, { columns: { name: string; type: string }[] }>,
      ).map(([k, v]) => [k, v.columns]),
    ),
  };
  fake.moreDcrs = [OWN];
  tenants = await writeDemoTenants({ seed: 11, admins: 4, n: 2, dir: join(tmp.dir, 'in'), window });
  [prod, dev] = tenants.map((t) => t.tenant.tenant.id);
  const config = configOf();
  for (const t of tenants) await importPaths(dbPath, config, [t.dir], undefined, t.tenant.tenant.id);
}, 120_000);
afterAll(async () => {
  await fake.close();
  tmp.cleanup();
});

describe('export sentinel, two tenants', () => {
  it('refuses to mix the tenants when none is named (CLI exit 2), and exports the one named', () => {
    const cfg = join(tmp.dir, 'cli.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        storage: { landingDir: join(tmp.dir, 'landing') },
        tenants: tenants.map((t) => ({ id: t.tenant.tenant.id, name: t.profile.name })),
      }),
    );
    const cli = (...args: string[]) =>
      execFileSync(
        process.execPath,
        ['bin/pimops.js', 'export', 'sentinel', '--db', dbPath, '--config', cfg, ...args],
        {
          stdio: 'pipe',
        },
      ).toString();
    let code = 0;
    let stderr = '';
    try {
      cli('--out', join(tmp.dir, 'mixed'));
    } catch (e) {
      code = (e as { status: number }).status;
      stderr = String((e as { stderr: Buffer }).stderr);
    }
    expect(code).toBe(2);
    expect(stderr).toMatch(/holds 2 tenants.*--all-tenants/);
    expect(existsSync(join(tmp.dir, 'mixed', 'payloads'))).toBe(false);

    const r = JSON.parse(cli('--out', join(tmp.dir, 'one'), '--tenant', 'contoso-dev', '--json')) as {
      tenant: string;
      tables: Record<string, { current: number }>;
    };
    expect(r.tenant).toBe(dev);
    for (const t of SENTINEL_TABLES) {
      const rows = readFileSync(join(tmp.dir, 'one', 'payloads', `${t.name}.ndjson`), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { TenantId: string; RowId: string });
      expect(rows.length, t.name).toBe(r.tables[t.name].current);
      expect(
        rows.filter((x) => x.TenantId !== dev || !x.RowId.startsWith(`${dev}:`)),
        t.name,
      ).toEqual([]);
    }
  });

  it("sends each tenant's rows with its TenantId to its DCR, nothing again when unchanged, and all again to a new destination", async () => {
    const first = await exportAll(configOf(), 'all');
    // Each tenant in its own folder, named after it.
    for (const e of first) expect(e.dir).toBe(join(tmp.dir, 'all', e.tenant!.name!));
    expect(first.map((e) => e.tenant!.id).sort()).toEqual([prod, dev].sort());
    const byTenant = Object.fromEntries(first.map((e) => [e.tenant!.id, e.result]));
    for (const [dcr, tenant] of [
      [SHARED, prod],
      [OWN, dev],
    ]) {
      for (const t of SENTINEL_TABLES) {
        const rows = fake.ingestedByDcr[dcr]?.[streamName(t)] ?? [];
        expect(rows.length, `${dcr} ${t.name}`).toBe(byTenant[tenant].tables[t.name].current);
        expect(rows.filter((x) => x.TenantId !== tenant || !String(x.RowId).startsWith(`${tenant}:`))).toEqual([]);
      }
      expect(byTenant[tenant].tables.PIMRequests_CL.current, tenant).toBeGreaterThan(10);
      expect(byTenant[tenant].failures).toEqual([]);
    }

    // Nothing changed: nothing is sent to either workspace.
    const n = fake.ingestionRequests.length;
    const again = await exportAll(configOf(), 'all');
    for (const e of again)
      expect(
        Object.values(e.result.tables).filter((t) => t.pending > 0),
        e.tenant?.name,
      ).toEqual([]);
    expect(fake.ingestionRequests.length).toBe(n);

    // dev now goes to the shared workspace: every row of dev is sent there, although prod's rows were
    // sent there before; prod sends nothing.
    const before = Object.fromEntries(
      SENTINEL_TABLES.map((t) => [t.name, fake.ingestedByDcr[SHARED][streamName(t)]?.length ?? 0]),
    );
    const moved = await exportAll(configOf(true), 'all');
    const m = Object.fromEntries(moved.map((e) => [e.tenant!.id, e.result]));
    for (const t of SENTINEL_TABLES) {
      expect(m[prod].tables[t.name].pending, t.name).toBe(0);
      expect(m[dev].tables[t.name].sent, t.name).toBe(m[dev].tables[t.name].current);
      const now = fake.ingestedByDcr[SHARED][streamName(t)] ?? [];
      expect(now.length - before[t.name], t.name).toBe(m[dev].tables[t.name].current);
      expect(now.slice(before[t.name]).every((x) => x.TenantId === dev)).toBe(true);
    }
  });
});
