import type { MetricsReport } from './metrics.js';
import { terminalValues } from './neutralise.js';

function duration(seconds: number | null): string {
  if (seconds === null) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)}%` : '—');
const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '—');

/** A terminal summary of the metrics report: the numbers a PIM owner looks at first. */
export function metricsText(report: MetricsReport): string {
  // Role names and UPNs come from the log: shown on a terminal, never obeyed by it.
  const r = terminalValues(report);
  const out: string[] = [];
  const tta = r.timeToActivate;
  out.push(`PIM operations ${day(r.period.from)} → ${day(r.period.to)} (UTC, end exclusive), as of ${r.period.asOf}`);
  out.push('');
  out.push('Time to activate (Entra roles)');
  for (const [label, x] of [
    ['self-activation', tta.self],
    ['with approval  ', tta.approval],
  ] as const) {
    out.push(
      `  ${label}  ${String(x.count).padStart(5)}  p50 ${duration(x.p50Seconds).padEnd(7)} p90 ${duration(x.p90Seconds).padEnd(7)} max ${duration(x.maxSeconds).padEnd(7)}` +
        ` under ${duration(x.targetSeconds)}: ${x.withinTarget} (${pct(x.withinTarget, x.count)})`,
    );
  }
  const a = r.approvals;
  out.push('');
  out.push('Approvals (Entra role activations needing approval)');
  out.push(
    `  ${a.approved} approved, ${a.denied} denied: approval rate ${a.approvalRate === null ? '—' : `${(a.approvalRate * 100).toFixed(1)}%`}; ` +
      `beside it ${a.expired} expired unanswered, ${a.canceled} canceled, ${a.pending} pending`,
  );
  const flagged = a.byRole.filter((x) => x.flagged);
  if (flagged.length) {
    for (const f of flagged)
      out.push(
        `  ⚑ ${f.roleName ?? f.roleId}: ${f.denied} of ${f.approved + f.denied} denied (${pct(f.denied, f.approved + f.denied)}): check who is eligible`,
      );
  } else {
    out.push('  no role flagged for a high denial rate');
  }
  out.push('');
  const months = [...new Set(r.activeHours.map((h) => h.month))].sort();
  out.push('Active hours per admin per month');
  for (const m of months) {
    const rows = r.activeHours.filter((h) => h.month === m).sort((x, y) => y.hours - x.hours);
    const total = rows.reduce((s, h) => s + h.hours, 0);
    const floor = (h: { hoursLowerBound: boolean }) => (h.hoursLowerBound ? '≥' : '');
    const top = rows
      .slice(0, 3)
      .map((h) => `${h.principalUpn ?? h.principalId} ${floor(h)}${h.hours.toFixed(1)}h`)
      .join(', ');
    const bounded = rows.reduce((s, h) => s + h.lowerBoundActivations, 0);
    out.push(
      `  ${m}: ${rows.length} admins, ${bounded ? '≥' : ''}${total.toFixed(1)} hours, ${rows.reduce((s, h) => s + h.activations, 0)} activations; most: ${top}`,
    );
    // The start of these is older than the data: their hours run from where the data begins.
    if (bounded)
      out.push(
        `    lower bound: ${bounded} activation(s) of ${rows.filter((h) => h.hoursLowerBound).length} admin(s) began before the data (start unknown; counted from the coverage start)`,
      );
  }
  if (!months.length) out.push('  no activations in the period');
  const s = r.standingAssignments;
  out.push('');
  out.push(
    `Standing assignments at ${r.period.asOf} (${s.basis === 'snapshot' ? `snapshot of ${s.snapshotAt}` : `audit replay: cannot see assignments made before ${s.visibleFrom ?? 'the first record'}`})`,
  );
  out.push(
    `  ${s.excludingBreakGlass} outside break-glass and service principals (target 0); ${s.breakGlass} break-glass; ${s.servicePrincipals} service principal${s.servicePrincipals === 1 ? '' : 's'}`,
  );
  for (const i of s.items.filter((x) => !x.breakGlass)) {
    out.push(
      `  - ${i.principalUpn ?? i.principalId} (${i.principalType ?? '?'}) holds ${i.roleName ?? i.roleId}${i.viaGroupId ? ` through the group ${i.viaGroupName ?? i.viaGroupId}` : ''} since ${day(i.since)}, ${i.viaPim === null ? 'how it was assigned is not in the log' : i.viaPim ? 'assigned through PIM' : 'assigned outside PIM'}`,
    );
  }
  const planes = Object.entries(r.byPlane);
  if (planes.length) {
    out.push('');
    out.push('Other planes (not in the numbers above)');
    for (const [plane, p] of planes) {
      const n = p.timeToActivate.self.count + p.timeToActivate.approval.count;
      out.push(
        `  ${plane}: ${n} activations, ${p.activeHours.reduce((x, h) => x + h.hours, 0).toFixed(1)} active hours, ${p.approvals.approved} approved / ${p.approvals.denied} denied`,
      );
    }
  }
  out.push('');
  out.push(
    `Store: ${r.coverage.auditEvents} audit records from ${day(r.coverage.firstEvent)} to ${day(r.coverage.lastEvent)}, ${r.coverage.pimEvents} PIM lifecycle records, ${r.coverage.quarantined} quarantined`,
  );
  return out.join('\n') + '\n';
}
