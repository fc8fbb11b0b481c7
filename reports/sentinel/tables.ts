// The custom tables pimops sends to a Log Analytics workspace. This list is the one schema: the
// payload rows, the table resources, the DCR stream declarations and the KQL checks are all made
// from it, so they cannot drift apart (test/sentinel.test.ts compares them).
//
// Every table carries RowId (stable), RowVersion (greater for a newer state of the same row) and
// RowDeleted (a row that no longer exists: an assignment removed, a finding gone), and its own
// event time: Azure Monitor replaces TimeGenerated values older than two days with the arrival
// time, so backfilled history is filtered on EventTime, never on TimeGenerated. Readers take the
// latest version: `| summarize arg_max(RowVersion, *) by RowId | where not(RowDeleted)`.

export type KustoType = 'string' | 'long' | 'real' | 'boolean' | 'datetime' | 'dynamic';

export interface SentinelColumn {
  name: string;
  type: KustoType;
  from?: string;
  description: string;
}

export interface SentinelTable {
  name: string;
  description: string;
  /** Where the rows come from: a named query by id, the checks, or the metric values. */
  rows: { query: string } | { checks: true } | { metricValues: true };
  /** Source columns whose values identify a row across runs. */
  rowId: string[];
  /** The source column holding the row's own event time. */
  eventTime: string;
  columns: SentinelColumn[];
}

const ENVELOPE: SentinelColumn[] = [
  {
    name: 'TimeGenerated',
    type: 'datetime',
    description: 'when the row was sent (Azure may replace it; never filter history on it)',
  },
  { name: 'RowId', type: 'string', description: 'stable identity of the row across exports' },
  { name: 'RowVersion', type: 'long', description: 'export time in ms: the newest version of a RowId wins (arg_max)' },
  {
    name: 'RowDeleted',
    type: 'boolean',
    description: 'true: the row no longer exists (removed assignment, resolved finding)',
  },
  { name: 'EventTime', type: 'datetime', description: "the row's own event time: filter history on this" },
];

const c = (name: string, type: KustoType, from: string, description = ''): SentinelColumn => ({
  name,
  type,
  from,
  description,
});

const SUBJECT = [
  c('Plane', 'string', 'plane', 'entra_role, group or azure_resource'),
  c('PrincipalId', 'string', 'principal_id'),
  c('PrincipalUpn', 'string', 'principal_upn'),
  c('PrincipalType', 'string', 'principal_type'),
  c('RoleId', 'string', 'role_id', 'role template id'),
  c('RoleName', 'string', 'role_name'),
  c('ScopeId', 'string', 'scope_id'),
];

// Appended to every table (issue 21): the Entra tenant the row is about, so one workspace can hold
// several tenants' rows. RowId starts with it (`<tenant>:<id>`), so rows of two tenants never meet in arg_max.
const TENANT = c('TenantId', 'string', 'tenant_id', 'the Entra tenant (directory id) the row is about');

export const SENTINEL_TABLES: SentinelTable[] = [
  {
    name: 'PIMRequests_CL',
    description:
      'One row per PIM request (activation, assignment, removal, extension) with its decision, route and time to activate.',
    rows: { query: 'sentinel_requests' },
    rowId: ['request_key'],
    eventTime: 'event_time',
    columns: [
      c('RequestKey', 'string', 'request_key', 'RoleAssignmentRequestId, else the Request target id'),
      c(
        'RequestType',
        'string',
        'request_type',
        'activate, deactivate, assign_eligible, assign_active, remove, extend, renew',
      ),
      ...SUBJECT,
      c('RequestedAt', 'datetime', 'requested_at'),
      c('DecidedAt', 'datetime', 'decided_at'),
      c('ActivatedAt', 'datetime', 'activated_at'),
      c('CompletedAt', 'datetime', 'completed_at'),
      c('EndedAt', 'datetime', 'ended_at'),
      c('Route', 'string', 'route', 'self or approval (activations)'),
      c('Decision', 'string', 'decision', 'approved, denied, approval_expired, canceled, pending, none'),
      c('ApproverId', 'string', 'approver_id'),
      c('ApproverUpn', 'string', 'approver_upn'),
      c('EndReason', 'string', 'end_reason', 'expired, deactivated or open'),
      c('Justification', 'string', 'justification'),
      c('TicketNumber', 'string', 'ticket_number'),
      c('TicketSystem', 'string', 'ticket_system'),
      c('Mfa', 'boolean', 'mfa', 'true, or empty = unknown'),
      c('Keyed', 'boolean', 'keyed'),
      c('Events', 'long', 'events'),
      c('TimeToActivateSeconds', 'real', 'time_to_activate_seconds'),
      c('RequestedDurationSeconds', 'real', 'requested_duration_seconds'),
      // Appended (issue 18): deployed tables keep the columns above in place.
      c('ActorIp', 'string', 'actor_ip', "the requester's address (the record's ipaddr)"),
      c('UserAgent', 'string', 'user_agent', "the requester's client"),
      TENANT,
    ],
  },
  {
    name: 'PIMActivations_CL',
    description: 'One row per activation window: start, scheduled end, and how and when it ended.',
    rows: { query: 'sentinel_activations' },
    rowId: ['request_key'],
    eventTime: 'started_at',
    columns: [
      c('RequestKey', 'string', 'request_key'),
      ...SUBJECT,
      c('ActivatedAt', 'datetime', 'activated_at'),
      c('StartedAt', 'datetime', 'started_at'),
      c('ScheduledEnd', 'datetime', 'scheduled_end'),
      c('EndedAt', 'datetime', 'ended_at', 'empty while open'),
      c('EndReason', 'string', 'end_reason'),
      c('ActiveSeconds', 'real', 'active_seconds', 'empty while open'),
      // Appended (issue 18): deployed tables keep the columns above in place.
      c('ActorIp', 'string', 'actor_ip', "the requester's address"),
      c('UserAgent', 'string', 'user_agent', "the requester's client"),
      c('ViaGroupId', 'string', 'via_group_id', 'the group the role came through'),
      c('ViaGroupName', 'string', 'via_group_name'),
      c('StartKnown', 'boolean', 'start_known', 'false: began before the data; StartedAt is the coverage start'),
      TENANT,
    ],
  },
  {
    name: 'PIMAssignments_CL',
    description:
      'Standing access: active assignments with no end date, from the newest state snapshot (else audit replay).',
    rows: { query: 'standing_assignments' },
    rowId: ['plane', 'principal_id', 'role_id', 'scope_id'],
    eventTime: 'since',
    columns: [
      ...SUBJECT,
      c('Since', 'datetime', 'since'),
      c('ViaPim', 'boolean', 'via_pim', 'false: assigned outside PIM; empty: unknown'),
      c('BreakGlass', 'boolean', 'break_glass'),
      c('Basis', 'string', 'basis', 'snapshot or audit_replay'),
      // Appended (issue 18): deployed tables keep the columns above in place.
      c('ViaGroupId', 'string', 'via_group_id', 'the role-assignable group the person holds the role through'),
      c('ViaGroupName', 'string', 'via_group_name'),
      TENANT,
    ],
  },
  {
    name: 'PIMMetrics_CL',
    description: 'The metrics per calendar month as a long table: one value per metric, measure and dimensions.',
    rows: { metricValues: true },
    rowId: ['month', 'plane', 'metric_id', 'measure', 'dimensions'],
    eventTime: 'month_start',
    columns: [
      c('Month', 'string', 'month', 'YYYY-MM (UTC)'),
      c('MonthStart', 'datetime', 'month_start'),
      c('Plane', 'string', 'plane'),
      c('MetricId', 'string', 'metric_id', 'the pimops query id'),
      c('Measure', 'string', 'measure'),
      c('Dimensions', 'dynamic', 'dimensions', 'the grouping columns (route, role, principal…)'),
      c('Value', 'real', 'value'),
      TENANT,
    ],
  },
  {
    name: 'PIMFindings_CL',
    description:
      'Governance check findings as of the export: severity, subject, what was observed against which threshold.',
    rows: { checks: true },
    rowId: ['check_id', 'subject_type', 'subject_id', 'detail'],
    eventTime: 'first_seen',
    columns: [
      c('CheckId', 'string', 'check_id', 'the rule id (kept from before RuleId)'),
      c('Severity', 'string', 'severity', 'info, low, medium, high, critical'),
      c('SubjectType', 'string', 'subject_type'),
      c('SubjectId', 'string', 'subject_id'),
      c('SubjectName', 'string', 'subject_name'),
      c('Observed', 'string', 'observed'),
      c('Threshold', 'string', 'threshold'),
      c('Detail', 'string', 'detail'),
      c('FirstSeen', 'datetime', 'first_seen'),
      c('LastSeen', 'datetime', 'last_seen'),
      // A custom table's columns are only ever appended: CheckId stays (it holds the rule id too).
      c('RuleId', 'string', 'rule_id', 'the rule (docs/rules.md#<RuleId>)'),
      // TenantId was placed here before the other tables had one; it stays in place (pinned).
      c('TenantId', 'string', 'tenant_id', 'the Entra tenant (directory id) the finding is about'),
      c('Excepted', 'boolean', 'excepted', 'true: accepted by a pimops config exception until ExceptionExpires'),
      c('ExceptionReason', 'string', 'exception_reason'),
      c('ExceptionOwner', 'string', 'exception_owner'),
      c('ExceptionExpires', 'datetime', 'exception_expires'),
      // Appended (issue 23): which PIM plane the finding is about.
      c('Plane', 'string', 'plane', 'entra_role, group or azure_resource'),
    ],
  },
];

/** All columns of a table as sent: the envelope first. */
export function columnsOf(t: SentinelTable): SentinelColumn[] {
  return [...ENVELOPE, ...t.columns];
}

export function streamName(t: SentinelTable): string {
  return `Custom-${t.name}`;
}

export function tableByName(name: string): SentinelTable {
  const t = SENTINEL_TABLES.find((x) => x.name === name);
  if (!t) throw new Error(`No Sentinel table ${name}`);
  return t;
}

/** The reader's idiom for the newest state of each row, used by every shipped query. */
export const LATEST = '| summarize arg_max(RowVersion, *) by RowId | where not(RowDeleted)';
