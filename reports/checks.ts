// Runs every check (queries/check_*.sql) by id with its thresholds from the config, and returns the
// findings in one shape. Reports and exports consume findings without knowing each check.
import type { Db } from '../core/db.js';
import type { Config } from '../core/config.js';
import { allQueries, runQuery, pickParams } from '../queries/registry.js';
import { configParams } from '../queries/params.js';
import type { Period } from './metrics.js';
import { PimopsError } from '../core/errors.js';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Finding {
  checkId: string; severity: Severity; subjectType: string; subjectId: string | null; subjectName: string | null;
  observed: string | null; threshold: string | null; detail: string; firstSeen: string | null; lastSeen: string | null;
}

export function checkIds(): string[] {
  return [...allQueries().keys()].filter((id) => id.startsWith('check_'));
}

export function checkParams(config: Config, period: Period): Record<string, unknown> {
  return configParams(config, period);
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : String(v));

export async function runChecks(db: Db, config: Config, period: Period, only?: string[]): Promise<Finding[]> {
  const ids = only?.length ? only : checkIds();
  for (const id of ids) if (!checkIds().includes(id)) throw new PimopsError('query-unknown', `No check named '${id}'. Known: ${checkIds().join(', ')}`);
  const all = checkParams(config, period);
  const findings: Finding[] = [];
  for (const id of ids) {
    for (const r of await runQuery(db, id, pickParams(id, all))) {
      findings.push({
        checkId: String(r.check_id), severity: r.severity as Severity, subjectType: String(r.subject_type),
        subjectId: (r.subject_id as string | null) ?? null, subjectName: (r.subject_name as string | null) ?? null,
        observed: (r.observed as string | null) ?? null, threshold: (r.threshold as string | null) ?? null, detail: String(r.detail),
        firstSeen: iso(r.first_seen), lastSeen: iso(r.last_seen),
      });
    }
  }
  return findings.sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || a.checkId.localeCompare(b.checkId) || (a.firstSeen ?? '').localeCompare(b.firstSeen ?? ''));
}

export function summarize(findings: Finding[]): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length])) as Record<Severity, number>;
}

export function atOrAbove(findings: Finding[], severity: Severity): Finding[] {
  return findings.filter((f) => SEVERITIES.indexOf(f.severity) >= SEVERITIES.indexOf(severity));
}
