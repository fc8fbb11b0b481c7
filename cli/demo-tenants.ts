// `pimops demo --tenants N`: several generated tenants landed into one store, each imported for its
// own tenant, and the cross-tenant summary: one row per tenant and target. The three first differ
// the way real tenants do: one requires approval on every tier-0 role, one has no state snapshots,
// one is Free tier, whose directory audit log keeps 7 days.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../core/config.js';
import { parseConfig } from '../core/config.js';
import { writeFileAtomic } from '../core/output.js';
import { out, printJson, progressOf, stderr, wantsJson, type Options } from './context.js';
import { renderRows } from '../reports/format.js';

interface Profile {
  name: string;
  approvalOnTier0: boolean;
  snapshots: boolean;
  /** Days of audit log the tenant keeps (Free tier: 7); undefined = the whole window. */
  retentionDays?: number;
}

export const DEMO_PROFILES: Profile[] = [
  { name: 'contoso-prod', approvalOnTier0: true, snapshots: true },
  { name: 'contoso-dev', approvalOnTier0: false, snapshots: false },
  { name: 'fabrikam-free', approvalOnTier0: false, snapshots: true, retentionDays: 7 },
];

export function profileOf(i: number): Profile {
  return DEMO_PROFILES[i] ?? { name: `tenant-${i + 1}`, approvalOnTier0: false, snapshots: true };
}

export interface DemoTenantsRequest {
  o: Options;
  config: Config;
  seed: number;
  admins: number;
  n: number;
  dir: string;
  configFile: string;
  window: { start: Date; days: number; from: Date; to: Date; label: string };
  marker: string;
  sha256: (path: string) => string;
}

/** Generates and writes each tenant's files under dir/<name>/; returns the configuration naming them. */
export async function writeDemoTenants(r: Pick<DemoTenantsRequest, 'seed' | 'admins' | 'n' | 'dir' | 'window'>) {
  const { generateTenant, emitFiles, emitSignIns, emitSnapshot } = await import('../fixtures/generator/index.js');
  if (existsSync(r.dir)) rmSync(r.dir, { recursive: true });
  const tenants = [];
  for (let i = 0; i < r.n; i++) {
    const p = profileOf(i);
    const seed = r.seed + i * 1009;
    const t = generateTenant({
      seed,
      admins: Math.max(4, Math.round(r.admins / (i + 1))),
      start: r.window.start,
      days: r.window.days,
      approvalOnTier0: p.approvalOnTier0,
    });
    const keepFrom = p.retentionDays ? r.window.to.getTime() - p.retentionDays * 86_400_000 : -Infinity;
    const records = t.records.filter((x) => Date.parse(x.activityDateTime) >= keepFrom);
    const dir = join(r.dir, p.name);
    const emitted = emitFiles(records, t.tenant.id, { dir, seed });
    emitSignIns(
      t.signIns.filter((s) => Date.parse(String(s.createdDateTime)) >= keepFrom),
      dir,
    );
    if (p.snapshots) emitSnapshot(t, dir, r.window.to);
    tenants.push({ profile: p, tenant: t, dir, records: emitted.distinct });
  }
  return tenants;
}

export async function demoTenants(r: DemoTenantsRequest): Promise<void> {
  const { importPaths, withDb, forEachTenant } = await import('./pipeline.js');
  const { metricsReport } = await import('../reports/metrics.js');
  const { runChecks, summarize } = await import('../reports/checks.js');
  const { targetsOf } = await import('../reports/report.js');
  const tenants = await writeDemoTenants(r);
  const raw = {
    tenants: tenants.map((t) => ({
      id: t.tenant.tenant.id,
      name: t.profile.name,
      breakGlassAccounts: t.tenant.breakGlass.map((b) => b.upn!),
    })),
  };
  writeFileAtomic(r.configFile, JSON.stringify(raw, null, 2) + '\n');
  const configSha256 = r.sha256(r.configFile);
  writeFileAtomic(
    join(r.dir, r.marker),
    JSON.stringify({ madeBy: 'pimops demo', seed: r.seed, admins: r.admins, tenants: r.n, configSha256 }) + '\n',
  );
  const config = parseConfig({ ...raw, storage: r.config.storage }, `demo config ${r.configFile}`);
  for (const t of tenants) {
    const s = await importPaths(r.o.db, config, [t.dir], progressOf(r.o), t.tenant.tenant.id);
    stderr(
      `${t.profile.name} (${t.tenant.tenant.id}): ${s.files} files, ${s.records} records: ${s.new} new, ` +
        `${s.duplicates} duplicates, ${s.quarantined} quarantined` +
        `${t.profile.approvalOnTier0 ? '; approval on every tier-0 role' : ''}${t.profile.snapshots ? '' : '; no snapshots'}` +
        `${t.profile.retentionDays ? `; Free tier: the last ${t.profile.retentionDays} days of log` : ''}`,
    );
  }
  await withDb(r.o.db, config, (db) =>
    db.run("INSERT OR REPLACE INTO transform_state VALUES ('demo_config_sha256', $sum)", { sum: configSha256 }),
  );
  const period = { from: r.window.from, to: r.window.to, asOf: r.window.to };
  const each = await forEachTenant(r.o.db, config, async (db, c) => {
    const metrics = await metricsReport(db, c, period);
    const findings = await runChecks(db, c, period);
    return { targets: targetsOf(metrics, summarize(findings), c), findings: summarize(findings) };
  });
  const rows = each.flatMap(({ tenant, result }) =>
    result.targets.map((t) => ({ tenant: tenant.name ?? tenant.id, target: t.name, status: t.status, value: t.value })),
  );
  if (wantsJson(r.o)) {
    printJson(
      {
        period: { from: period.from.toISOString(), to: period.to.toISOString() },
        tenants: each.map(({ tenant, result }) => ({ id: tenant.id, name: tenant.name ?? null, ...result })),
      },
      true,
    );
    return;
  }
  out(`PIM operations across ${each.length} tenants, ${r.window.label} (UTC)\n\n`);
  out(renderRows(['tenant', 'target', 'status', 'value'], rows, 'table'));
  stderr(
    `\nnext: npx pimops report --all-tenants --config ${r.configFile} --period ${r.window.label} | ` +
      `npx pimops metrics --tenant ${tenants[0].profile.name} --config ${r.configFile} --period ${r.window.label}`,
  );
}
