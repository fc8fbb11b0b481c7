// Runs every check (queries/check_*.sql) by id with its thresholds from the config, and returns the
// findings in one shape. Reports and exports consume findings without knowing each check.
import type { Db } from '../core/db.js';
import type { Config } from '../core/config.js';
import { allQueries, runQuery, pickParams, type RuleSpec } from '../queries/registry.js';
import { configParams } from '../queries/params.js';
import { SEVERITIES, type Severity } from '../queries/findings.js';
import type { Period } from './metrics.js';
import { PimopsError } from '../core/errors.js';
import { parseTime } from '../core/time.js';
import { asText } from '../core/text.js';
import { timed } from '../core/profile.js';

export { SEVERITIES, type Severity };

export interface Finding {
  ruleId: string;
  tenantId: string | null;
  severity: Severity;
  subjectType: string;
  subjectId: string | null;
  subjectName: string | null;
  observed: string | null;
  threshold: string | null;
  detail: string;
  firstSeen: string | null;
  lastSeen: string | null;
  /** Accepted for a time by a config exception in force at as-of: kept and shown, but it does not count. */
  excepted: boolean;
  exception: { reason: string; owner: string; expires: string } | null;
}

/** Every rule, by rule id (a check file's name without check_), in id order. */
export function rules(): RuleSpec[] {
  return [...allQueries().values()].flatMap((q) => (q.rule ? [q.rule] : [])).sort((a, b) => a.id.localeCompare(b.id));
}

export function ruleIds(): string[] {
  return rules().map((r) => r.id);
}

export function checkParams(config: Config, period: Period): Record<string, unknown> {
  return configParams(config, period);
}

const iso = (v: unknown) => (v === null || v === undefined ? null : asText(v));

/** Runs every rule, or only the rule ids given (an unknown one is a usage error naming the known ones). */
export async function runChecks(db: Db, config: Config, period: Period, only?: string[]): Promise<Finding[]> {
  const known = ruleIds();
  checkExceptions(config, known);
  const ids = only?.length ? only : known;
  for (const id of ids)
    if (!known.includes(id)) throw new PimopsError('usage', `No rule '${id}'. Known rules: ${known.join(', ')}`);
  const all = checkParams(config, period);
  const findings: Finding[] = [];
  for (const id of ids) {
    const queryId = `check_${id}`;
    for (const r of await timed(queryId, () => runQuery(db, queryId, pickParams(queryId, all)))) {
      findings.push({
        ruleId: String(r.rule_id),
        // A reader scoped to one tenant (core/tenants.ts) answers for that tenant's configuration.
        tenantId: (r.tenant_id as string | null) ?? config.tenant ?? null,
        severity: r.severity as Severity,
        subjectType: String(r.subject_type),
        subjectId: (r.subject_id as string | null) ?? null,
        subjectName: (r.subject_name as string | null) ?? null,
        observed: (r.observed as string | null) ?? null,
        threshold: (r.threshold as string | null) ?? null,
        detail: String(r.detail),
        firstSeen: iso(r.first_seen),
        lastSeen: iso(r.last_seen),
        excepted: false,
        exception: null,
      });
    }
  }
  applyExceptions(findings, config, period.asOf);
  return findings.sort(
    (a, b) =>
      SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
      a.ruleId.localeCompare(b.ruleId) ||
      (a.firstSeen ?? '').localeCompare(b.firstSeen ?? ''),
  );
}

/**
 * Validated here rather than in core/config.ts: core cannot import the rule list from queries/, and
 * every consumer of findings (checks, run, report, exports) passes through runChecks. A bad entry
 * is a config error (exit 2) naming it.
 */
export function checkExceptions(config: Config, known = ruleIds()): void {
  config.exceptions.forEach((e, i) => {
    if (!known.includes(e.rule)) {
      throw new PimopsError(
        'config-invalid',
        `Invalid config:\n  exceptions.${i}.rule: no rule '${e.rule}' (subject '${e.subject}'); known rules: ${known.join(', ')}`,
      );
    }
  });
}

/** A finding is excepted while an exception names its rule and exactly its subject id and has not expired at as-of. */
function applyExceptions(findings: Finding[], config: Config, asOf: Date): void {
  const inForce = config.exceptions
    .map((e) => ({ ...e, expires: parseTime(e.expires, 'expires') }))
    .filter((e) => e.expires.getTime() >= asOf.getTime());
  for (const f of findings) {
    const e = inForce.find((x) => x.rule === f.ruleId && x.subject === f.subjectId);
    if (e) {
      f.excepted = true;
      f.exception = { reason: e.reason, owner: e.owner, expires: e.expires.toISOString() };
    }
  }
}

/** Findings that count: not excepted. */
export function counting(findings: Finding[]): Finding[] {
  return findings.filter((f) => !f.excepted);
}

/** Per severity, the findings that count (excepted ones are listed apart, never in these numbers). */
export function summarize(findings: Finding[]): Record<Severity, number> {
  const c = counting(findings);
  return Object.fromEntries(SEVERITIES.map((s) => [s, c.filter((f) => f.severity === s).length])) as Record<
    Severity,
    number
  >;
}

/** Findings that count at or above a severity: what --fail-on, run.failOn and the report's fail judge. */
export function atOrAbove(findings: Finding[], severity: Severity): Finding[] {
  return counting(findings).filter((f) => SEVERITIES.indexOf(f.severity) >= SEVERITIES.indexOf(severity));
}

/** Every rule for `checks --list`: severities, the config keys of its thresholds, and its doc anchor. */
export function ruleList(): { rule: string; severity: string; thresholds: string; doc: string; action: string }[] {
  return rules().map((r) => ({
    rule: r.id,
    severity: r.severityText,
    thresholds: r.thresholds.join('; '),
    doc: r.doc,
    action: r.action,
  }));
}

/** A finding as the columns every export of findings shares (snake_case, exception fields flat). */
export function findingColumns(f: Finding) {
  return {
    severity: f.severity,
    subject_type: f.subjectType,
    subject_id: f.subjectId,
    subject_name: f.subjectName,
    observed: f.observed,
    threshold: f.threshold,
    detail: f.detail,
    first_seen: f.firstSeen,
    last_seen: f.lastSeen,
    excepted: f.excepted,
    exception_reason: f.exception?.reason ?? null,
    exception_owner: f.exception?.owner ?? null,
    exception_expires: f.exception?.expires ?? null,
  };
}
