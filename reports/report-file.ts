// The report as a file: built from a read-only session, rendered, written atomically (a killed run
// leaves no half report) under a dated default name.
import { join } from 'node:path';
import type { Config } from '../core/config.js';
import { Db } from '../core/db.js';
import { PimopsError } from '../core/errors.js';
import { writeFileAtomic } from '../core/output.js';
import type { Period } from '../core/time.js';
import { buildReport } from './report.js';
import { renderHtml, renderJson, renderMarkdown } from './render.js';
import { renderCsv } from './format.js';
import { findingColumns, type Finding } from './checks.js';

export type ReportType = 'html' | 'md' | 'json';

export interface ReportRequest {
  compare: number;
  pseudonymize: boolean;
  out?: string;
  type?: ReportType;
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
  let text: string;
  let findings: Finding[] = [];
  try {
    const model = await buildReport(db, config, period, {
      compare: o.compare,
      pseudonymize: o.pseudonymize,
      key: process.env.PIMOPS_PSEUDONYM_KEY,
    });
    text = type === 'html' ? renderHtml(model) : type === 'md' ? renderMarkdown(model) : renderJson(model);
    findings = model.findings.items;
  } finally {
    db.close();
  }
  const out = o.out ?? join('pimops-reports', `pimops-${period.from.toISOString().slice(0, 10)}.${type}`);
  // The page lists findings by rule; every finding (info and excepted ones too) goes beside it as CSV
  // for the people who work through them. JSON already carries every finding.
  if (type !== 'json') writeFileAtomic(findingsCsvPath(out), findingsCsv(findings));
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
