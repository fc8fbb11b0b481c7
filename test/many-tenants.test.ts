// Many tenants in one store (issue 21): each tenant's answers equal those of a store built from that
// tenant's files alone; a record id two tenants share stays two records; a tenant-less record finds
// its tenant in a one-tenant store and is refused in a store of several.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { importPaths, withReadOnlyDb } from '../cli/pipeline.js';
import { writeDemoTenants } from '../cli/demo-tenants.js';
import { parseConfig, type Config } from '../core/config.js';
import { applyTenant, scopeToTenant, storeTenants } from '../core/tenants.js';
import { metricsReport } from '../reports/metrics.js';
import { runChecks } from '../reports/checks.js';
import { writeReport } from '../reports/report-file.js';
import { writeTenantsReport } from '../reports/tenants-report.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
const window = {
  start: new Date('2026-07-01T00:00:00Z'),
  days: 62,
  from: new Date('2026-08-01T00:00:00Z'),
  to: new Date('2026-09-01T00:00:00Z'),
  label: '2026-08',
};
const period = { from: window.from, to: window.to, asOf: window.to };
let tenants: Awaited<ReturnType<typeof writeDemoTenants>>;
let shared: Config;
const combined = join(tmp.dir, 'all.duckdb');

/** Everything one tenant's reader answers: metrics and findings, as JSON. */
async function answers(db: string, config: Config, tenant?: string) {
  return withReadOnlyDb(db, config, async (d) => {
    const scoped = await applyTenant(d, config, tenant);
    const m = await metricsReport(d, scoped.config, period);
    const f = await runChecks(d, scoped.config, period);
    return JSON.parse(JSON.stringify({ m, f })) as unknown;
  });
}

beforeAll(async () => {
  tenants = await writeDemoTenants({ seed: 5, admins: 8, n: 3, dir: join(tmp.dir, 'in'), window });
  const raw = {
    tenants: tenants.map((t) => ({
      id: t.tenant.tenant.id,
      name: t.profile.name,
      breakGlassAccounts: t.tenant.breakGlass.map((b) => b.upn!),
    })),
  };
  shared = parseConfig({ ...raw, storage: { landingDir: join(tmp.dir, 'all-landing') } });
  for (const t of tenants) await importPaths(combined, shared, [t.dir], undefined, t.tenant.tenant.id);
}, 240_000);
afterAll(() => tmp.cleanup());

describe('many tenants in one store', () => {
  it('answers for each tenant exactly as a store of that tenant alone does', async () => {
    expect((await withReadOnlyDb(combined, shared, (d) => storeTenants(d, shared))).map((t) => t.name).sort()).toEqual([
      'contoso-dev',
      'contoso-prod',
      'fabrikam-free',
    ]);
    for (const t of tenants) {
      const id = t.tenant.tenant.id;
      const alone = join(tmp.dir, `${t.profile.name}.duckdb`);
      const own = parseConfig({
        tenant: id,
        breakGlassAccounts: t.tenant.breakGlass.map((b) => b.upn!),
        storage: { landingDir: join(tmp.dir, `${t.profile.name}-landing`) },
      });
      await importPaths(alone, own, [t.dir]);
      const a = await answers(combined, shared, t.profile.name);
      const b = await answers(alone, own);
      expect(a, t.profile.name).toEqual(b);
    }
  }, 240_000);

  it('refuses to mix tenants when none is named, and names them', async () => {
    await expect(answers(combined, shared)).rejects.toThrow(/holds 3 tenants.*contoso-prod/);
  });

  it("writes one tenant's report, and with --all-tenants each tenant's report with its findings CSV and a summary", async () => {
    const request = { compare: 1, pseudonymize: false, type: 'json' as const };
    await expect(
      writeReport(combined, shared, period, { ...request, out: join(tmp.dir, 'mixed.json') }),
    ).rejects.toThrow(/holds 3 tenants/);
    const dev = tenants.find((t) => t.profile.name === 'contoso-dev')!;
    const one = writeReport(combined, shared, period, {
      ...request,
      tenant: 'contoso-dev',
      out: join(tmp.dir, 'dev.json'),
    });
    const report = JSON.parse(readFileSync(await one, 'utf8')) as { metrics: unknown };
    const alone = (await answers(combined, shared, dev.tenant.tenant.id)) as { m: unknown };
    expect(report.metrics).toEqual(alone.m);
    const all = await writeTenantsReport(combined, shared, period, {
      compare: 1,
      pseudonymize: false,
      out: join(tmp.dir, 'sum', 'pimops-2026-08-tenants.md'),
    });
    expect(all.reports.map((f) => f.replace(/.*\//, '')).sort()).toEqual([
      'pimops-2026-08-contoso-dev.md',
      'pimops-2026-08-contoso-prod.md',
      'pimops-2026-08-fabrikam-free.md',
    ]);
    for (const f of all.reports) expect(existsSync(f.replace(/\.md$/, '.findings.csv')), f).toBe(true);
    expect(all.model.rows.filter((r) => r.tenantName === 'contoso-dev').length).toBeGreaterThan(3);
    expect(readFileSync(all.summary, 'utf8')).toContain('(pimops-2026-08-contoso-dev.md)');
  }, 120_000);

  it('keeps a record id two tenants share as two records, and refuses to guess the tenant of a record naming none', async () => {
    const [a, b] = tenants;
    const record = a.tenant.records.find((r) => r.activityDisplayName.includes('PIM activation'))!;
    const tid = (t: string) => [...record.additionalDetails.filter((d) => d.key !== 'tid'), { key: 'tid', value: t }];
    const dir = join(tmp.dir, 'shared-id');
    mkdirSync(dir, { recursive: true });
    // The same id, once in each tenant (each copy says its tenant), and once naming none.
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ ...record, additionalDetails: tid(a.tenant.tenant.id) }));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ ...record, additionalDetails: tid(b.tenant.tenant.id) }));
    const bare = {
      ...record,
      id: `${record.id}-bare`,
      additionalDetails: record.additionalDetails.filter((d) => d.key !== 'tid'),
    };
    writeFileSync(join(dir, 'c.json'), JSON.stringify(bare));
    const s = await importPaths(combined, shared, [dir]);
    expect(s.quarantined).toBe(1);
    const rows = await withReadOnlyDb(combined, shared, (d) =>
      d.all<{ tenant_id: string }>('SELECT tenant_id FROM audit_events WHERE event_id = $id ORDER BY 1', {
        id: record.id,
      }),
    );
    expect(rows.map((r) => r.tenant_id)).toEqual([a.tenant.tenant.id, b.tenant.tenant.id].sort());
    const q = await withReadOnlyDb(combined, shared, (d) =>
      d.one<{ reason: string; detail: string }>("SELECT reason, detail FROM quarantine WHERE reason = 'no_tenant'"),
    );
    expect(q?.detail).toMatch(/--tenant ID/);
    // Imported for a tenant, the same record is placed.
    const placed = join(tmp.dir, 'placed');
    mkdirSync(placed, { recursive: true });
    writeFileSync(join(placed, 'c2.json'), readFileSync(join(dir, 'c.json'), 'utf8') + '\n');
    expect((await importPaths(combined, shared, [placed], undefined, b.profile.name)).new).toBe(1);

    // A line that cannot be read is the quarantine of the tenant whose file it was, and no other's.
    const broken = join(tmp.dir, 'broken');
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'x.ndjson'), 'not json at all\n');
    expect((await importPaths(combined, shared, [broken], undefined, a.profile.name)).quarantined).toBe(1);
    const seen = async (t: string) =>
      withReadOnlyDb(combined, shared, async (d) => {
        await scopeToTenant(d, t);
        return (await d.all<{ reason: string }>('SELECT reason FROM quarantine ORDER BY 1')).map((r) => r.reason);
      });
    expect(await seen(a.tenant.tenant.id)).toEqual(['unrecognized']);
    // The no_tenant record's file named no tenant: it belongs to none of them.
    expect(await seen(b.tenant.tenant.id)).toEqual([]);
  }, 120_000);
});
