// One view across tenants (`report --all-tenants`): each tenant's own report, and a summary page
// with one row per tenant and target (pass / warn / fail, the change since the previous period, a
// link to that tenant's report). Tenant names come from the configuration, ids from the records:
// both are escaped like any data.
import { basename, dirname, join } from 'node:path';
import type { Config } from '../core/config.js';
import { configFor } from '../core/config.js';
import { Db } from '../core/db.js';
import { writeFileAtomic } from '../core/output.js';
import type { Period } from '../core/time.js';
import { label, scopeToTenant, storeTenants, type StoreTenant } from '../core/tenants.js';
import { buildReport, targetsOf, type ReportModel, type Status } from './report.js';
import { escapeHtml } from './render-html.js';
import { markdownCell } from './neutralise.js';
import { reportTypeOf, writeRendered, type ReportRequest } from './report-file.js';

export interface TenantTargetRow {
  tenant: string;
  tenantName: string | null;
  target: string;
  status: Status;
  value: string;
  /** The status in the previous period, when one was compared. */
  before: Status | null;
  report: string;
}

export interface TenantsSummary {
  period: { from: string; to: string };
  tenants: { id: string; name: string | null; report: string; status: Status }[];
  rows: TenantTargetRow[];
}

const WORST: Status[] = ['pass', 'warn', 'fail'];

/** A file name part for a tenant: its configured name (letters, digits, '-', '_'), else its id (a GUID). */
export function tenantSlug(t: StoreTenant): string {
  return (t.name ?? t.id).replace(/[^A-Za-z0-9_-]/g, '_');
}

/** Writes each tenant's report and the summary; returns the summary's path and the per-tenant files. */
export async function writeTenantsReport(
  dbPath: string,
  config: Config,
  period: Period,
  o: ReportRequest,
): Promise<{
  summary: string;
  reports: string[];
  model: TenantsSummary;
  /** Each tenant's report model and the file it was written to (for a mail per tenant). */
  tenants: { tenant: StoreTenant; report: ReportModel; file: string }[];
}> {
  const type = reportTypeOf(o.out, o.type);
  const from = period.from.toISOString().slice(0, 10);
  const out = o.out ?? join('pimops-reports', `pimops-${from}-tenants.${type}`);
  const dir = dirname(out);
  const base = basename(out)
    .replace(/\.[^.]*$/, '')
    .replace(/-tenants$/, '');
  const model: TenantsSummary = {
    period: { from: period.from.toISOString(), to: period.to.toISOString() },
    tenants: [],
    rows: [],
  };
  const reports: string[] = [];
  const tenants: { tenant: StoreTenant; report: ReportModel; file: string }[] = [];
  const db = await Db.openReadOnly(dbPath, { memoryLimit: config.storage.memoryLimit });
  try {
    for (const tenant of await storeTenants(db, config)) {
      await scopeToTenant(db, tenant.id);
      const tenantConfig = configFor(config, tenant.id);
      const report = await buildReport(db, tenantConfig, period, {
        compare: Math.max(1, o.compare),
        pseudonymize: o.pseudonymize,
        key: process.env.PIMOPS_PSEUDONYM_KEY,
      });
      const file = `${base}-${tenantSlug(tenant)}.${type}`;
      reports.push(writeRendered(report, join(dir, file), type));
      tenants.push({ tenant, report, file: reports.at(-1)! });
      const last = report.previous.at(-1);
      const before = last ? targetsOf(last.metrics, last.findings, tenantConfig) : [];
      for (const t of report.targets) {
        model.rows.push({
          tenant: tenant.id,
          tenantName: tenant.name ?? null,
          target: t.name,
          status: t.status,
          value: t.value,
          before: before.find((b) => b.id === t.id)?.status ?? null,
          report: file,
        });
      }
      const worst = report.targets.reduce<Status>(
        (w, t) => (WORST.indexOf(t.status) > WORST.indexOf(w) ? t.status : w),
        'pass',
      );
      model.tenants.push({ id: tenant.id, name: tenant.name ?? null, report: file, status: worst });
    }
  } finally {
    db.close();
  }
  const text =
    type === 'json'
      ? JSON.stringify(model, null, 2) + '\n'
      : type === 'md'
        ? tenantsMarkdown(model)
        : tenantsHtml(model);
  return { summary: writeFileAtomic(out, text), reports, model, tenants };
}

const change = (r: TenantTargetRow) =>
  r.before === null ? 'new' : r.before === r.status ? 'unchanged' : `${r.before} → ${r.status}`;

export function tenantsMarkdown(m: TenantsSummary): string {
  const lines = [
    `# PIM operations across tenants, ${m.period.from.slice(0, 10)} to ${m.period.to.slice(0, 10)} (UTC)`,
    '',
    `${m.tenants.length} tenants. One row per tenant and target; each tenant's own report is linked.`,
    '',
    '| Tenant | Target | Status | Value | Since last period | Report |',
    '|---|---|---|---|---|---|',
    ...m.rows.map(
      (r) =>
        `| ${markdownCell(r.tenantName ?? r.tenant)} | ${markdownCell(r.target)} | ${r.status} | ${markdownCell(r.value)} | ${change(r)} | [${markdownCell(r.report)}](${encodeURI(r.report)}) |`,
    ),
    '',
  ];
  return lines.join('\n');
}

export function tenantsHtml(m: TenantsSummary): string {
  const rows = m.rows
    .map(
      (r) =>
        `<tr class="${r.status}"><td>${escapeHtml(r.tenantName ?? r.tenant)}</td><td>${escapeHtml(r.target)}</td><td>${r.status}</td>` +
        `<td>${escapeHtml(r.value)}</td><td>${escapeHtml(change(r))}</td><td><a href="${escapeHtml(encodeURI(r.report))}">${escapeHtml(r.report)}</a></td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>PIM operations across tenants</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
tr.fail td:nth-child(3){color:#b00020;font-weight:600}tr.warn td:nth-child(3){color:#8a6d00}tr.pass td:nth-child(3){color:#1b5e20}</style></head>
<body><h1>PIM operations across tenants, ${escapeHtml(m.period.from.slice(0, 10))} to ${escapeHtml(m.period.to.slice(0, 10))} (UTC)</h1>
<p>${m.tenants.length} tenants: ${m.tenants.map((t) => escapeHtml(label({ id: t.id, name: t.name ?? undefined }))).join(', ')}</p>
<table><thead><tr><th>Tenant</th><th>Target</th><th>Status</th><th>Value</th><th>Since last period</th><th>Report</th></tr></thead><tbody>${rows}</tbody></table>
</body></html>
`;
}

/** Counts for a one-line summary on stderr. */
export function tenantsLine(m: TenantsSummary): string {
  const fails = m.tenants.filter((t) => t.status === 'fail').length;
  return `${m.tenants.length} tenants, ${fails} with a failing target`;
}
