// The report as a file: built from a read-only session, rendered, written atomically (a killed run
// leaves no half report) under a dated default name.
import { join } from 'node:path';
import type { Config } from '../core/config.js';
import { Db } from '../core/db.js';
import { PimopsError } from '../core/errors.js';
import { writeFileAtomic } from '../core/output.js';
import type { Period } from '../core/time.js';
import { buildReport, type ReportModel } from './report.js';
import { applyTenant } from '../core/tenants.js';
import { renderHtml, renderJson, renderMarkdown } from './render.js';
import { renderCsv } from './format.js';
import { findingColumns, type Finding } from './checks.js';

export type ReportType = 'html' | 'md' | 'json';

export interface ReportRequest {
  compare: number;
  pseudonymize: boolean;
  out?: string;
  type?: ReportType;
  /** One tenant of a store that holds several (id or configured name); the store's only one when unset. */
  tenant?: string;
}

export function reportTypeOf(out: string | undefined, type?: ReportType): ReportType {
  return type ?? (out?.endsWith('.md') ? 'md' : out?.endsWith('.json') ? 'json' : 'html');
}

export async function writeReport(dbPath: string, config: Config, period: Period, o: ReportRequest): Promise<string> {
  const type = reportTypeOf(o.out, o.type);
  if (!Number.isInteger(o.compare) || o.compare < 0 || o.compare > 24) {
    throw new PimopsError('usage', '--compare takes a number of periods from 0 to 24, or "previous"');
  }
  const db = await Db.openReadOnly(dbPath, { memoryLimit: config.storage.memoryLimit });
  let model: ReportModel;
  try {
    const scoped = await applyTenant(db, config, o.tenant);
    model = await buildReport(db, scoped.config, period, {
      compare: o.compare,
      pseudonymize: o.pseudonymize,
      key: process.env.PIMOPS_PSEUDONYM_KEY,
    });
  } finally {
    db.close();
  }
  return writeRendered(
    model,
    o.out ?? join('pimops-reports', `pimops-${period.from.toISOString().slice(0, 10)}.${type}`),
    type,
  );
}

/** Renders a report model to its file and, for a page, every finding beside it as CSV (info and
 *  excepted ones too, for the people who work through them; JSON already carries every finding). */
export function writeRendered(model: ReportModel, out: string, type: ReportType): string {
  const text = type === 'html' ? renderHtml(model) : type === 'md' ? renderMarkdown(model) : renderJson(model);
  if (type !== 'json') writeFileAtomic(findingsCsvPath(out), findingsCsv(model.findings.items));
  return writeFileAtomic(out, text);
}

/** report.html → report.findings.csv, beside it. */
export const findingsCsvPath = (out: string) => `${out.replace(/\.[^./\\]*$/, '')}.findings.csv`;

export function findingsCsv(findings: Finding[]): string {
  const rows = findings.map((f) => ({ rule_id: f.ruleId, ...findingColumns(f) }));
  const columns = ['rule_id', ...Object.keys(findingColumns(findings[0] ?? EMPTY))];
  return renderCsv(columns, rows);
}

const EMPTY: Finding = {
  ruleId: '',
  tenantId: null,
  severity: 'info',
  subjectType: '',
  subjectId: null,
  subjectName: null,
  observed: null,
  threshold: null,
  detail: '',
  firstSeen: null,
  lastSeen: null,
  excepted: false,
  exception: null,
};
