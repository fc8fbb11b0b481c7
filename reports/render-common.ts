// What the HTML and Markdown renderings share: status icons, changes against earlier periods, the
// excepted findings and each rule's trend.
import type { ReportModel, Status } from './report.js';

export const ICON: Record<Status, string> = { pass: '✅', warn: '⚠️', fail: '❌' };

export function delta(now: number | null, before: number | null, unit = ''): string {
  if (now === null || before === null) return '';
  const d = Math.round((now - before) * 10) / 10;
  return d === 0 ? '±0' : `${d > 0 ? '+' : ''}${d}${unit}`;
}

export function changes(m: ReportModel): { metric: string; now: string; before: string; change: string }[] {
  const prev = m.previous.at(-1);
  if (!prev) return [];
  const a = m.metrics;
  const b = prev.metrics;
  const min = (s: number | null) => (s === null ? null : Math.round(s / 6) / 10);
  const rate = (r: number | null) => (r === null ? null : Math.round(r * 1000) / 10);
  const hours = (x: typeof a) => Math.round(x.activeHours.reduce((s, h) => s + h.hours, 0));
  const rows: [string, number | null, number | null, string][] = [
    ['Self-activation p50 (min)', min(a.timeToActivate.self.p50Seconds), min(b.timeToActivate.self.p50Seconds), ' min'],
    [
      'Approval p50 (min)',
      min(a.timeToActivate.approval.p50Seconds),
      min(b.timeToActivate.approval.p50Seconds),
      ' min',
    ],
    [
      'Activations',
      a.timeToActivate.self.count + a.timeToActivate.approval.count,
      b.timeToActivate.self.count + b.timeToActivate.approval.count,
      '',
    ],
    ['Approval rate (%)', rate(a.approvals.approvalRate), rate(b.approvals.approvalRate), ' pts'],
    ['Active hours', hours(a), hours(b), ' h'],
    [
      'Standing (beside break-glass)',
      a.standingAssignments.excludingBreakGlass,
      b.standingAssignments.excludingBreakGlass,
      '',
    ],
    [
      'High + critical findings',
      (m.findings.summary.high ?? 0) + (m.findings.summary.critical ?? 0),
      (prev.findings.high ?? 0) + (prev.findings.critical ?? 0),
      '',
    ],
  ];
  return rows.map(([metric, now, before, unit]) => ({
    metric,
    now: now === null ? '—' : String(now),
    before: before === null ? '—' : String(before),
    change: delta(now, before, unit),
  }));
}

/** Findings a config exception accepts, with who accepted them, why and until when. */
export function excepted(m: ReportModel): string[][] {
  return m.findings.items
    .filter((f) => f.excepted)
    .map((f) => [
      f.severity,
      f.ruleId,
      f.subjectName ?? f.subjectId ?? '',
      f.exception?.reason ?? '',
      f.exception?.owner ?? '',
      f.exception?.expires ?? '',
      f.detail,
    ]);
}

/** Each rule's findings (above info) per period: the trend native PIM alerts do not show. */
export function ruleTrend(m: ReportModel): (string | number)[][] {
  const ids = [
    ...new Set([...m.previous.flatMap((p) => Object.keys(p.byRule)), ...Object.keys(m.findings.byRule)]),
  ].sort();
  return ids.map((id) => [id, ...m.previous.map((p) => p.byRule[id] ?? 0), m.findings.byRule[id] ?? 0]);
}

type HoursRow = ReportModel['tables']['activeHours'][number];
/** Hours with '≥' when they are a lower bound (an activation began before the data). */
export const hoursCell = (r: HoursRow) => `${r.hoursLowerBound ? '≥' : ''}${r.hours}`;
/** The sentence saying how many activations began before the data, or null when none did. */
export function lowerBoundNote(rows: HoursRow[]): string | null {
  const n = rows.reduce((s, r) => s + r.lowerBoundActivations, 0);
  return n
    ? `${n} activation${n === 1 ? '' : 's'} began before the data: their hours count from the coverage start, so hours marked ≥ are a lower bound.`
    : null;
}
