// The scheduled metric report: targets with pass / warn / fail, the change since previous periods,
// charts with the tables behind them, findings, and the data coverage. It reads metrics and checks
// by id and holds no SQL of its own. HTML is one self-contained file; Markdown and JSON carry the
// same numbers.
import { subMonths, differenceInCalendarMonths } from 'date-fns';
import type { Db } from '../core/db.js';
import type { Config } from '../core/config.js';
import { PimopsError } from '../core/errors.js';
import { asText } from '../core/text.js';
import { runQuery } from '../queries/registry.js';
import { askedFor, type Asked } from './report-asked.js';
import { humanPeriod } from './dates.js';
import { metricsReport, type MetricsReport, type Period } from './metrics.js';
import { runChecks, summarize, counting, SEVERITIES, type Finding } from './checks.js';
import { renderSvg, ttaHistogram, outcomesByRole, activeHoursTop, standingTrend, findingsTrend } from './charts.js';
import { identities, pseudonymize } from './pseudonymize.js';
import type { RuleRow } from './findings-by-rule.js';
import { attentionItems, type AttentionItem } from './attention.js';
import { ruleInfos, rulesTable } from './report-findings.js';
export { alias, identities, pseudonymize } from './pseudonymize.js';

export type Status = 'pass' | 'warn' | 'fail';
export interface Target {
  id: string;
  name: string;
  status: Status;
  value: string;
  target: string;
  note?: string;
  /** One sentence: what to do when the target is missed (the attention block shows it). */
  action: string;
}

export interface ReportModel {
  schemaVersion: 1;
  title: string;
  generatedAt: string;
  period: MetricsReport['period'];
  pseudonymized: boolean;
  targets: Target[];
  metrics: MetricsReport;
  previous: {
    label: string;
    /** The period as a heading says it: "September 2026, UTC". */
    name: string;
    metrics: MetricsReport;
    findings: Record<string, number>;
    byRule: Record<string, number>;
  }[];
  findings: {
    summary: Record<string, number>;
    byRule: Record<string, number>;
    items: Finding[];
    /** One row per rule, against the previous period (rule id + subject id is a finding's identity). */
    rules: RuleRow[];
    /** The period the new / recurring / resolved counts compare with. */
    comparedWith: string;
  };
  /** What admins keep asking for, one line each (reports/report-asked.ts). */
  asked: Asked;
  /** At most five things to act on first, and how many more there were. */
  attention: { items: AttentionItem[]; more: number };
  coverage: {
    source: string;
    files: number;
    records: number;
    firstEvent: string | null;
    lastEvent: string | null;
    lastLanded: string | null;
    ageHours: number | null;
  }[];
  staleness: string[];
  tables: {
    slowestActivations: {
      requestKey: string;
      principal: string;
      role: string;
      route: string;
      minutes: number;
      approver: string | null;
    }[];
    outcomes: { role: string; outcome: string; requests: number }[];
    // hoursLowerBound: some activation began before the data, so hours count from the coverage start.
    activeHours: {
      admin: string;
      month: string;
      activations: number;
      hours: number;
      hoursLowerBound: boolean;
      lowerBoundActivations: number;
    }[];
  };
  charts: Record<string, string>;
}

const iso = (v: unknown) => (v === null || v === undefined ? null : asText(v));
const pct = (n: number, d: number) => (d ? Math.round((1000 * n) / d) / 10 : null);

/** Pass when p90 is under target, warn when only the median is, fail otherwise. */
function ttaTarget(id: string, name: string, r: MetricsReport['timeToActivate']['self']): Target {
  const fmt = (s: number | null) =>
    s === null ? '—' : s < 120 ? `${Math.round(s)} s` : `${Math.round(s / 6) / 10} min`;
  if (!r.count)
    return {
      id,
      name,
      status: 'warn',
      value: 'no activations',
      target: `< ${fmt(r.targetSeconds)}`,
      note: 'nothing to measure in this period',
      action: 'Check that the audit log is being ingested, then that people use PIM at all.',
    };
  const status: Status =
    (r.p90Seconds ?? Infinity) < r.targetSeconds
      ? 'pass'
      : (r.p50Seconds ?? Infinity) < r.targetSeconds
        ? 'warn'
        : 'fail';
  return {
    id,
    name,
    status,
    value: `p50 ${fmt(r.p50Seconds)}, p90 ${fmt(r.p90Seconds)}; ${pct(r.withinTarget, r.count)}% under target (${r.withinTarget}/${r.count})`,
    target: `< ${fmt(r.targetSeconds)}`,
    action:
      id === 'tta-self'
        ? 'Look at the slowest self-activations: MFA prompts, Conditional Access and replication delays are the usual causes.'
        : 'Look at the slowest approvals below, and add approvers or backup approvers where one person keeps people waiting.',
  };
}

export function targetsOf(m: MetricsReport, findings: Record<string, number>, config: Config): Target[] {
  const a = m.approvals;
  const flagged = a.byRole.filter((r) => r.flagged);
  const s = m.standingAssignments;
  return [
    ttaTarget('tta-self', 'Time to activate, self-service', m.timeToActivate.self),
    ttaTarget('tta-approval', 'Time to activate, with approval', m.timeToActivate.approval),
    {
      id: 'approval-rate',
      name: 'Approval rate',
      status: flagged.length ? 'warn' : 'pass',
      value:
        a.approvalRate === null
          ? 'no decisions'
          : `${Math.round(a.approvalRate * 1000) / 10}% (${a.approved} approved, ${a.denied} denied; ${a.expired} expired, ${a.canceled} canceled, ${a.pending} pending)`,
      target: `no role with ≥ ${Math.round(config.approvals.denialRateFlag * 100)}% denials`,
      note: flagged.length ? `flagged: ${flagged.map((f) => f.roleName ?? f.roleId).join(', ')}` : undefined,
      action:
        'Ask who is eligible for the flagged roles and why so many requests are denied, and remove eligibility no one should use.',
    },
    {
      id: 'standing',
      name: 'Standing assignments (beside break-glass and service principals)',
      status: s.excludingBreakGlass === 0 ? 'pass' : 'fail',
      value: `${s.excludingBreakGlass} (plus ${s.breakGlass} break-glass, ${s.servicePrincipals} service principal${s.servicePrincipals === 1 ? '' : 's'})`,
      target: '0',
      note:
        s.basis === 'snapshot'
          ? `from the snapshot of ${s.snapshotAt}`
          : `from audit replay: cannot see assignments made before ${s.visibleFrom}`,
      action:
        'Convert each standing assignment to an eligible one through PIM, or record why it must stay as an exception.',
    },
    {
      id: 'findings',
      name: 'Findings',
      status: findings.critical || findings.high ? 'fail' : findings.medium ? 'warn' : 'pass',
      value: SEVERITIES.slice()
        .reverse()
        .map((x) => `${findings[x]} ${x}`)
        .join(', '),
      target: 'no critical or high',
      action: 'Work through the critical and high findings by rule below, most severe first.',
    },
  ];
}

export interface ReportOptions {
  compare: number;
  pseudonymize: boolean;
  key?: string;
  topN?: number;
}

export async function buildReport(db: Db, config: Config, period: Period, opts: ReportOptions): Promise<ReportModel> {
  if (opts.pseudonymize && !opts.key)
    throw new PimopsError(
      'usage',
      '--pseudonymize needs a key in the environment variable PIMOPS_PSEUDONYM_KEY (the same key gives the same aliases across reports)',
    );
  const metrics = await metricsReport(db, config, period);
  const findingItems = await runChecks(db, config, period);
  const months = Math.max(1, differenceInCalendarMonths(period.to, period.from));
  // The previous period is always computed: what is new, resolved or worse is judged against it,
  // even when no earlier period is shown beside this one (--compare 0).
  const earlier: { label: string; name: string; metrics: MetricsReport; findings: Finding[] }[] = [];
  for (let i = 1; i <= Math.max(1, opts.compare); i++) {
    const p = {
      from: subMonths(period.from, months * i),
      to: subMonths(period.to, months * i),
      asOf: subMonths(period.to, months * i),
    };
    earlier.push({
      label: `${p.from.toISOString().slice(0, 10)} → ${p.to.toISOString().slice(0, 10)}`,
      name: humanPeriod(p.from, p.to),
      metrics: await metricsReport(db, config, p),
      findings: await runChecks(db, config, p),
    });
  }
  const previous: ReportModel['previous'] = earlier
    .slice(0, opts.compare)
    .map((e) => ({
      label: e.label,
      name: e.name,
      metrics: e.metrics,
      findings: summarize(e.findings),
      byRule: byRule(e.findings),
    }))
    .reverse();
  const last = earlier[0];
  const coverageRows = await runQuery(db, 'data_coverage', { as_of: period.asOf });
  const coverage = coverageRows.map((r) => ({
    source: String(r.source),
    files: Number(r.files),
    records: Number(r.records),
    firstEvent: iso(r.first_event),
    lastEvent: iso(r.last_event),
    lastLanded: iso(r.last_landed),
    ageHours: r.age_hours === null ? null : Number(r.age_hours),
  }));
  const staleness: string[] = [];
  const newest = coverage
    .filter((c) => c.source !== 'snapshot')
    .map((c) => c.lastEvent)
    .filter(Boolean)
    .sort()
    .at(-1);
  if (!newest) staleness.push('No audit records at all: every number below is empty, not healthy.');
  else if ((period.asOf.getTime() - Date.parse(newest)) / 3_600_000 > 48)
    staleness.push(
      `The newest audit record is from ${newest}, ${Math.round((period.asOf.getTime() - Date.parse(newest)) / 3_600_000)} h before the as-of time: recent activity is missing.`,
    );
  if (metrics.standingAssignments.basis === 'audit_replay')
    staleness.push(
      `Standing access comes from audit replay, which cannot see assignments made before ${metrics.standingAssignments.visibleFrom}. Run pimops ingest snapshot for the full picture.`,
    );

  const detail = await runQuery(db, 'time_to_activate_detail', { from: period.from, to: period.to });
  const entra = detail.filter((r) => r.plane === 'entra_role');
  const outcomes = (await runQuery(db, 'request_outcomes_by_role', { from: period.from, to: period.to }))
    .filter((r) => r.plane === 'entra_role')
    .map((r) => ({ role: String(r.role_name ?? r.role_id), outcome: String(r.outcome), requests: Number(r.requests) }));
  const hours = metrics.activeHours
    .map((h) => ({
      admin: h.principalUpn ?? h.principalId,
      month: h.month,
      activations: h.activations,
      hours: h.hours,
      hoursLowerBound: h.hoursLowerBound,
      lowerBoundActivations: h.lowerBoundActivations,
    }))
    .sort((a, b) => b.hours - a.hours);
  const topN = opts.topN ?? 15;
  const asked = await askedFor(db, config, period);
  const rules = await rulesTable(db, config, period, findingItems, last.findings);
  const findings = {
    summary: summarize(findingItems),
    byRule: byRule(findingItems),
    items: findingItems,
    rules,
    comparedWith: last.name,
  };
  const targets = targetsOf(metrics, findings.summary, config);
  const attention = attentionItems(findingItems, last.findings, rules, ruleInfos(), {
    now: targets,
    before: targetsOf(last.metrics, summarize(last.findings), config),
  });
  let model: ReportModel = {
    schemaVersion: 1,
    title: `PIM operations report, ${humanPeriod(period.from, period.to)}`,
    generatedAt: new Date().toISOString(),
    period: metrics.period,
    pseudonymized: opts.pseudonymize,
    targets,
    attention,
    asked,
    metrics,
    previous,
    findings,
    coverage,
    staleness,
    tables: {
      slowestActivations: entra.slice(0, topN).map((r) => ({
        requestKey: String(r.request_key),
        principal: String(r.principal_upn ?? r.principal_id),
        role: String(r.role_name),
        route: String(r.route),
        minutes: Math.round(Number(r.seconds) / 6) / 10,
        approver: (r.approver_upn as string | null) ?? null,
      })),
      outcomes,
      activeHours: hours,
    },
    charts: {},
  };
  if (opts.pseudonymize) model = pseudonymize(model, await identities(db), opts.key!);
  const periods = [
    ...model.previous.map((p) => ({ label: p.label.slice(0, 7), m: p.metrics, f: p.findings })),
    { label: model.period.from.slice(0, 7), m: model.metrics, f: model.findings.summary },
  ];
  model.charts = {
    tta: await renderSvg(ttaHistogram(entra.map((r) => ({ route: String(r.route), minutes: Number(r.seconds) / 60 })))),
    outcomes: await renderSvg(outcomesByRole(model.tables.outcomes)),
    activeHours: await renderSvg(activeHoursTop(aggregateHours(model.tables.activeHours).slice(0, topN))),
    standing: await renderSvg(
      standingTrend(
        periods.flatMap((p) => [
          { period: p.label, standing: p.m.standingAssignments.excludingBreakGlass, kind: 'standing (target 0)' },
          { period: p.label, standing: p.m.standingAssignments.breakGlass, kind: 'break-glass' },
        ]),
      ),
    ),
    findings: await renderSvg(
      findingsTrend(
        periods.flatMap((p) => SEVERITIES.map((s) => ({ period: p.label, severity: s, findings: p.f[s] ?? 0 }))),
      ),
    ),
  };
  return model;
}

/** Findings that are not info, per rule: each alert's trend over the compared periods. */
function byRule(findings: Finding[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of counting(findings)) if (f.severity !== 'info') out[f.ruleId] = (out[f.ruleId] ?? 0) + 1;
  return out;
}

function aggregateHours(rows: { admin: string; hours: number }[]): { admin: string; hours: number }[] {
  const m = new Map<string, number>();
  for (const r of rows) m.set(r.admin, (m.get(r.admin) ?? 0) + r.hours);
  return [...m.entries()]
    .map(([admin, hours]) => ({ admin, hours: Math.round(hours * 10) / 10 }))
    .sort((a, b) => b.hours - a.hours);
}
