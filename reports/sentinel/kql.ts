// The metrics as KQL over the workspace's own AuditLogs table (DESIGN §4), for tenants whose
// history outgrows one machine and for workbooks that must not wait for pimops. Same definitions as
// the SQL, with two documented differences: requests are tied by their key only (RoleAssignmentRequestId,
// else the Request target; pimops also pairs the few keyless records by time), and Kusto's
// percentile() is an estimate where DuckDB's quantile_cont interpolates. Counts agree exactly on
// keyed data; test/sentinel.test.ts states the DuckDB answer on a fixed tenant beside each query.

export interface KqlWindow {
  from: string;
  to: string;
  asOf?: string;
}

const q = (s: string) => JSON.stringify(s);
const list = (xs: readonly string[]) => xs.map(q).join(', ');

export const ACT = {
  requested: 'Add member to role requested (PIM activation)',
  approvalRequested: 'Add member to role approval requested (PIM activation)',
  approved: 'Add member to role request approved (PIM activation)',
  denied: 'Add member to role request denied (PIM activation)',
  expired: 'PIM activation request expired',
  canceled: 'Add member to role canceled (PIM activation)',
  activated: 'Add member to role completed (PIM activation)',
  deactivated: 'Remove member from role completed (PIM deactivate)',
  activationExpired: 'Remove member from role (PIM activation expired)',
  outsidePim: 'Add member to role outside of PIM (permanent)',
  settingUpdated: 'Update role setting in PIM',
} as const;

const APPROVAL_EVENTS = [ACT.approvalRequested, ACT.approved, ACT.denied, ACT.expired];

/**
 * PIM's Entra-role lifecycle records in [start, end) with the request key, principal and role as
 * pimops resolves them: additionalDetails by key (case-insensitive), targets by type, never by index.
 * Without `principal` the principal columns are left out, for metrics that do not need them (a
 * workbook query must stay under 3,000 characters).
 */
export function pimEventsKql(start: string, end: string, opts: { principal?: boolean } = {}): string {
  const principal = opts.principal ?? true;
  return `AuditLogs
| where ActivityDateTime >= ${start} and ActivityDateTime < ${end}
| where LoggedByService in ("PIM", "Privileged Identity Management") and Result != "failure"
| where Category !in~ ("GroupManagement", "ResourceManagement")
| mv-apply Detail = AdditionalDetails on (
    summarize Details = make_bag(bag_pack(tolower(tostring(Detail.key)), tostring(Detail.value))))
| mv-apply Target = TargetResources on (
    extend Type = tolower(tostring(Target.type)), Id = tostring(Target.id)
    | summarize RequestTarget = take_anyif(Id, Type == "request"), RoleTarget = take_anyif(Id, Type == "role"),
                RoleName = take_anyif(tostring(Target.displayName), Type == "role")${
                  principal
                    ? `,
                PrincipalId = take_anyif(Id, Type in ("user", "serviceprincipal")),
                PrincipalUpn = take_anyif(tostring(Target.userPrincipalName), Type in ("user", "serviceprincipal"))`
                    : ''
                })
| extend RequestKey = tolower(coalesce(tostring(Details["roleassignmentrequestid"]), RequestTarget)),
         RoleId = tolower(coalesce(tostring(Details["templateid"]), tostring(Details["roledefinitionoriginid"]), RoleTarget))${
           principal
             ? `,
         PrincipalId = tolower(PrincipalId), PrincipalUpn = tolower(PrincipalUpn)`
             : ''
         }
| project ActivityDateTime, ActivityDisplayName, RequestKey, RoleId, RoleName, ${principal ? 'PrincipalId, PrincipalUpn, ' : ''}Details`;
}

/**
 * Requests started in [From, To) with their route and, as a metric needs them, the activation time
 * and principal (`activation`) or the final decision (`decision`): each metric computes only what it
 * reads, which keeps its workbook query under the workbook analyzer's 3,000 characters.
 */
function requestsKql(needs: { activation?: boolean; decision?: boolean }): string {
  const decisions = `
let Decisions = PimEvents
    | extend Decision = case(ActivityDisplayName == ${q(ACT.approved)}, "approved", ActivityDisplayName == ${q(ACT.denied)}, "denied",
                             ActivityDisplayName == ${q(ACT.expired)}, "approval_expired", ActivityDisplayName == ${q(ACT.canceled)}, "canceled", "")
    | where isnotempty(Decision)
    | summarize arg_max(ActivityDateTime, Decision) by RequestKey
    | project-away ActivityDateTime;`;
  return `let PimEvents = materialize(${pimEventsKql('From', 'To + 1d', { principal: Boolean(needs.activation) }).replaceAll('\n', '\n    ')});${needs.decision ? decisions : ''}
let Requests = PimEvents
    | where isnotempty(RequestKey)
    | summarize RequestedAt = minif(ActivityDateTime, ActivityDisplayName == ${q(ACT.requested)}),${
      needs.activation
        ? `
                ActivatedAt = minif(ActivityDateTime, ActivityDisplayName == ${q(ACT.activated)}),`
        : ''
    }
                ApprovalEvents = countif(ActivityDisplayName in (${list(APPROVAL_EVENTS)})),
                ApprovalFlag = countif(tolower(tostring(Details["isactivationrequireapproval"])) == "true"),
                RoleName = take_any(RoleName), RoleId = take_any(RoleId)${needs.activation ? ', PrincipalUpn = take_any(PrincipalUpn)' : ''}
      by RequestKey
    | where RequestedAt >= From and RequestedAt < To
    | extend Route = iff(ApprovalEvents > 0 or ApprovalFlag > 0, "approval", "self")${
      needs.decision
        ? `
    | join kind=leftouter Decisions on RequestKey
    | extend Decision = iff(isempty(Decision), iff(Route == "approval", "pending", "none"), Decision)`
        : ''
    };`;
}

const header = (title: string, lines: string[]) => `// ${title}\n${lines.map((l) => `// ${l}`).join('\n')}\n`;

export interface KqlMetric {
  id: string;
  title: string;
  text: (w: KqlWindow, p: { selfTargetSeconds: number; approvalTargetSeconds: number }) => string;
}

const lets = (w: KqlWindow) => `let From = ${w.from};\nlet To = ${w.to};\n`;

/** The KQL version of each DuckDB metric, named by the metric's id. */
export const KQL_METRICS: KqlMetric[] = [
  {
    id: 'time_to_activate',
    title: 'Time to activate (Entra roles), per route',
    text: (w, p) =>
      header('time_to_activate: seconds from an activation request to the role being granted.', [
        'Route approval when the request had any approval event or IsActivationRequireApproval, else self.',
        'A request belongs to the period of its request time. Targets from pimops config (targets.*).',
      ]) +
      lets(w) +
      `let SelfTarget = ${p.selfTargetSeconds}.0;\nlet ApprovalTarget = ${p.approvalTargetSeconds}.0;\n` +
      requestsKql({ activation: true }) +
      `
Requests
| where isnotnull(ActivatedAt)
| extend Seconds = datetime_diff("millisecond", ActivatedAt, RequestedAt) / 1000.0
| extend Target = iff(Route == "self", SelfTarget, ApprovalTarget)
| summarize Count = count(), P50Seconds = percentile(Seconds, 50), P90Seconds = percentile(Seconds, 90), MaxSeconds = max(Seconds),
            TargetSeconds = take_any(Target), WithinTarget = countif(Seconds < Target) by Route
| order by Route asc`,
  },
  {
    id: 'approval_outcomes',
    title: 'Approval outcomes (Entra-role activations)',
    text: (w) =>
      header('approval_outcomes: approval-required activation requests by final decision.', [
        'Rate = approved / (approved + denied); expired, canceled and pending are counted beside it.',
      ]) +
      lets(w) +
      requestsKql({ decision: true }) +
      `
Requests
| where Route == "approval"
| summarize Requests = count(), Approved = countif(Decision == "approved"), Denied = countif(Decision == "denied"),
            Expired = countif(Decision == "approval_expired"), Canceled = countif(Decision == "canceled"), Pending = countif(Decision == "pending")
| extend ApprovalRate = iff(Approved + Denied > 0, todouble(Approved) / (Approved + Denied), real(null))`,
  },
  {
    id: 'approval_rate_by_role',
    title: 'Approval rate per role',
    text: (w) =>
      header(
        'approval_rate_by_role: decisions per role; pimops flags roles above approvals.denialRateFlag with at least approvals.minDecisions.',
        [],
      ) +
      lets(w) +
      requestsKql({ decision: true }) +
      `
Requests
| where Route == "approval"
| summarize Approved = countif(Decision == "approved"), Denied = countif(Decision == "denied"), Expired = countif(Decision == "approval_expired"),
            RoleName = take_any(RoleName) by RoleId
| extend Decisions = Approved + Denied
| extend ApprovalRate = iff(Decisions > 0, todouble(Approved) / Decisions, real(null))
| order by Decisions desc, RoleId asc`,
  },
  {
    id: 'active_hours',
    title: 'Active hours per admin',
    text: (w) =>
      header('active_hours: activation windows clipped to [From, To) and to the as-of time.', [
        'A window ends at deactivation, expiry (the stated ExpirationTime when PIM logs it late), the scheduled end, or AsOf.',
      ]) +
      lets(w) +
      `let AsOf = ${w.asOf ?? w.to};
let PimEvents = materialize(${pimEventsKql('From - 31d', 'AsOf').replaceAll('\n', '\n    ')});
let Activations = PimEvents
    | where ActivityDisplayName == ${q(ACT.activated)}
    | summarize arg_min(ActivityDateTime, *) by RequestKey
    | project RequestKey, PrincipalId, PrincipalUpn, RoleId,
              Start = coalesce(todatetime(tostring(Details["starttime"])), ActivityDateTime), ScheduledEnd = todatetime(tostring(Details["expirationtime"]));
let Ends = PimEvents
    | where ActivityDisplayName in (${list([ACT.deactivated, ACT.activationExpired])})
    | project PrincipalId, RoleId, EndTime = ActivityDateTime, Expired = ActivityDisplayName == ${q(ACT.activationExpired)};
Activations
| join kind=leftouter Ends on PrincipalId, RoleId
| extend EndTime = iff(EndTime >= Start, EndTime, datetime(null))
| summarize arg_min(EndTime, Expired), Start = take_any(Start), ScheduledEnd = take_any(ScheduledEnd), PrincipalUpn = take_any(PrincipalUpn)
    by RequestKey, PrincipalId
| extend End = iff(Expired and isnotnull(ScheduledEnd) and ScheduledEnd < EndTime, ScheduledEnd, EndTime)
| extend End = iff(isnull(End), iff(isnotnull(ScheduledEnd) and ScheduledEnd < AsOf, ScheduledEnd, AsOf), iff(End < AsOf, End, AsOf))
| extend PieceStart = iff(Start > From, Start, From), PieceEnd = iff(End < To, End, To)
| where Start < To and PieceEnd > PieceStart
| summarize Activations = countif(Start >= From), Hours = sum(datetime_diff("millisecond", PieceEnd, PieceStart)) / 3600000.0 by PrincipalId, PrincipalUpn
| order by Hours desc`,
  },
];

export function kqlMetric(id: string): KqlMetric {
  const m = KQL_METRICS.find((x) => x.id === id);
  if (!m) throw new Error(`no KQL metric ${id}`);
  return m;
}
