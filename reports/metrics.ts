// The metrics report: runs the named metric queries (by id; no SQL here) and shapes the JSON
// contract automation relies on (schemaVersion 1). Core numbers are Entra-role activations;
// PIM for Groups and Azure resources are reported per plane under byPlane.
import type { Db, Row } from '../core/db.js';
import { listValue } from '../core/db.js';
import { asText } from '../core/text.js';
import type { Config } from '../core/config.js';
import { runQuery } from '../queries/registry.js';

export interface Period {
  from: Date;
  to: Date;
  asOf: Date;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const iso = (v: unknown): string | null =>
  v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : new Date(asText(v)).toISOString();
const round = (v: number | null, digits = 6) => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);

function ttaRoute(rows: Row[], plane: string, route: string, target: number) {
  const r = rows.find((x) => x.plane === plane && x.route === route);
  return {
    count: r ? num(r.count)! : 0,
    p50Seconds: r ? round(num(r.p50_seconds)) : null,
    p90Seconds: r ? round(num(r.p90_seconds)) : null,
    maxSeconds: r ? round(num(r.max_seconds)) : null,
    targetSeconds: target,
    withinTarget: r ? num(r.within_target)! : 0,
  };
}

function outcomes(rows: Row[], plane: string, requestType: string) {
  const r = rows.find((x) => x.plane === plane && x.request_type === requestType);
  const approved = r ? num(r.approved)! : 0;
  const denied = r ? num(r.denied)! : 0;
  return {
    approved,
    denied,
    expired: r ? num(r.expired)! : 0,
    canceled: r ? num(r.canceled)! : 0,
    pending: r ? num(r.pending)! : 0,
    approvalRate: approved + denied ? round(approved / (approved + denied)) : null,
  };
}

export async function metricsReport(db: Db, config: Config, period: Period) {
  const p = { from: period.from, to: period.to, as_of: period.asOf };
  // One connection runs one query at a time: in sequence, not Promise.all.
  const tta = await runQuery(db, 'time_to_activate', {
    from: p.from,
    to: p.to,
    self_target_seconds: config.targets.selfActivationSeconds,
    approval_target_seconds: config.targets.approvalSeconds,
  });
  const outcomeRows = await runQuery(db, 'approval_outcomes', { from: p.from, to: p.to });
  const byRole = await runQuery(db, 'approval_rate_by_role', {
    from: p.from,
    to: p.to,
    denial_rate_flag: config.approvals.denialRateFlag,
    min_decisions: config.approvals.minDecisions,
  });
  const byApprover = await runQuery(db, 'approval_rate_by_approver', { from: p.from, to: p.to });
  const hours = await runQuery(db, 'active_hours', { from: p.from, to: p.to, as_of: p.as_of });
  const standing = await runQuery(db, 'standing_assignments', {
    as_of: p.as_of,
    break_glass_accounts: listValue(config.breakGlassAccounts),
  });
  const coverage = await runQuery(db, 'audit_coverage', { as_of: p.as_of });
  const scopeNames = new Map(
    (await runQuery(db, 'plane_scopes', { as_of: p.as_of })).map((r) => [
      String(r.scope_id),
      r.scope_name as string | null,
    ]),
  );

  const planes = [...new Set([...tta, ...outcomeRows, ...hours, ...standing].map((r) => String(r.plane)))]
    .filter((x) => x !== 'entra_role')
    .sort();
  const hoursFor = (plane: string) =>
    hours
      .filter((r) => r.plane === plane)
      .map((r) => ({
        principalId: r.principal_id as string,
        principalUpn: (r.principal_upn as string | null) ?? null,
        month: r.month as string,
        activations: num(r.activations)!,
        hours: round(num(r.hours))!,
        // Activations that began before the data did count from the coverage start: the hours are a floor.
        hoursLowerBound: Boolean(r.hours_lower_bound),
        lowerBoundActivations: num(r.lower_bound_activations)!,
      }));
  const entraStanding = standing.filter((r) => r.plane === 'entra_role');
  const items = entraStanding.map((r) => ({
    principalId: r.principal_id as string,
    principalUpn: (r.principal_upn as string | null) ?? null,
    principalType: r.principal_type as string | null,
    roleId: r.role_id as string,
    roleName: r.role_name as string | null,
    since: iso(r.since),
    breakGlass: Boolean(r.break_glass),
    // A snapshot cannot tell how an assignment was made: null = unknown.
    viaPim: r.via_pim === null || r.via_pim === undefined ? null : Boolean(r.via_pim),
    // Held through this role-assignable group: the item is the person's, the group named.
    viaGroupId: (r.via_group_id as string | null) ?? null,
    viaGroupName: (r.via_group_name as string | null) ?? null,
  }));
  const breakGlass = items.filter((i) => i.breakGlass).length;
  const servicePrincipals = items.filter((i) => !i.breakGlass && i.principalType === 'service_principal').length;
  const cov = coverage[0] ?? {};
  const basis = cov.snapshot_at ? 'snapshot' : 'audit_replay';

  return {
    schemaVersion: 1,
    period: { from: period.from.toISOString(), to: period.to.toISOString(), asOf: period.asOf.toISOString() },
    timeToActivate: {
      self: ttaRoute(tta, 'entra_role', 'self', config.targets.selfActivationSeconds),
      approval: ttaRoute(tta, 'entra_role', 'approval', config.targets.approvalSeconds),
    },
    approvals: {
      ...outcomes(outcomeRows, 'entra_role', 'activate'),
      byRole: byRole
        .filter((r) => r.plane === 'entra_role')
        .map((r) => ({
          roleId: r.role_id as string,
          roleName: r.role_name as string | null,
          approved: num(r.approved)!,
          denied: num(r.denied)!,
          approvalRate: round(num(r.approval_rate)),
          flagged: Boolean(r.flagged),
        })),
      byApprover: byApprover
        .filter((r) => r.plane === 'entra_role')
        .map((r) => ({
          approverId: r.approver_id as string | null,
          approverUpn: r.approver_upn as string | null,
          approved: num(r.approved)!,
          denied: num(r.denied)!,
          p50WaitSeconds: round(num(r.p50_wait_seconds)),
          selfApprovals: num(r.self_approvals)!,
        })),
      extendRenew: {
        extend: outcomes(outcomeRows, 'entra_role', 'extend'),
        renew: outcomes(outcomeRows, 'entra_role', 'renew'),
      },
    },
    activeHours: hoursFor('entra_role'),
    standingAssignments: {
      total: items.length,
      breakGlass,
      servicePrincipals,
      excludingBreakGlass: items.length - breakGlass - servicePrincipals,
      basis,
      snapshotAt: iso(cov.snapshot_at),
      // Replay cannot see assignments made before the oldest record it holds.
      visibleFrom: basis === 'audit_replay' ? iso(cov.first_event) : null,
      items,
    },
    byPlane: Object.fromEntries(
      planes.map((plane) => [
        plane,
        {
          timeToActivate: {
            self: ttaRoute(tta, plane, 'self', config.targets.selfActivationSeconds),
            approval: ttaRoute(tta, plane, 'approval', config.targets.approvalSeconds),
          },
          approvals: outcomes(outcomeRows, plane, 'activate'),
          activeHours: hoursFor(plane),
          standingAssignments: standing.filter((r) => r.plane === plane).length,
          // The assignments behind that count: for a group the scope is its id, for Azure the ARM scope.
          standingItems: standing
            .filter((r) => r.plane === plane)
            .map((r) => ({
              principalId: r.principal_id as string,
              principalUpn: (r.principal_upn as string | null) ?? null,
              principalType: r.principal_type as string | null,
              roleId: r.role_id as string,
              roleName: r.role_name as string | null,
              scopeId: r.scope_id as string,
              scopeName: scopeNames.get(String(r.scope_id)) ?? null,
              since: iso(r.since),
              breakGlass: Boolean(r.break_glass),
              basis: r.basis as string,
            })),
        },
      ]),
    ),
    coverage: {
      firstEvent: iso(cov.first_event),
      lastEvent: iso(cov.last_event),
      auditEvents: num(cov.audit_events),
      pimEvents: num(cov.pim_events),
      quarantined: num(cov.quarantined),
    },
  };
}

export type MetricsReport = Awaited<ReturnType<typeof metricsReport>>;
