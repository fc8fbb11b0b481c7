// The Sentinel workbook, in two variants: (a) over the custom tables pimops exports, and (b) over the
// workspace's own AuditLogs, computed in KQL, so a tenant sees time to activate, approvals and
// active hours without pimops running at query time. Standing access and findings need state
// snapshots and pimops' checks: variant (b) says so and reads PIMAssignments_CL when it exists.
import type { Config } from '../../core/config.js';
import { LATEST } from './tables.js';
import { kqlMetric, type KqlWindow } from './kql.js';
import { stableGuid } from './rules.js';
import { API_VERSIONS } from './templates.js';

export interface WorkbookItem { type: number; name: string; content: Record<string, unknown>; customWidth?: string }
export interface Workbook { version: 'Notebook/1.0'; items: WorkbookItem[]; fallbackResourceIds: string[]; fromTemplateId: string; $schema: string }

const RANGE = { start: '{TimeRange:start}', end: '{TimeRange:end}' };

const text = (name: string, markdown: string): WorkbookItem => ({ type: 1, name, content: { json: markdown } });

function query(name: string, title: string, kql: string, visualization: string, width?: string): WorkbookItem {
  return {
    type: 3, name,
    content: {
      version: 'KqlItem/1.0', query: kql, size: 0, title, queryType: 0, resourceType: 'microsoft.operationalinsights/workspaces',
      timeContext: { durationMs: 2592000000 }, timeContextFromParameter: 'TimeRange', visualization,
    },
    ...(width ? { customWidth: width } : {}),
  };
}

function parameters(config: Config): WorkbookItem {
  const number = (name: string, label: string, value: number, description: string) =>
    ({ id: stableGuid(`param:${name}`), version: 'KqlParameterItem/1.0', name, label, type: 1, isRequired: true, value: String(value), description });
  return {
    type: 9, name: 'parameters',
    content: {
      version: 'KqlParameterItem/1.0', style: 'pills', queryType: 0, resourceType: 'microsoft.operationalinsights/workspaces',
      parameters: [
        { id: stableGuid('param:TimeRange'), version: 'KqlParameterItem/1.0', name: 'TimeRange', label: 'Period', type: 4, isRequired: true,
          value: { durationMs: 2592000000 },
          typeSettings: { selectableValues: [{ durationMs: 604800000 }, { durationMs: 2592000000 }, { durationMs: 7776000000 }], allowCustom: true } },
        number('SelfTargetSeconds', 'Self-activation target (s)', config.targets.selfActivationSeconds, 'targets.selfActivationSeconds in pimops config'),
        number('ApprovalTargetSeconds', 'Approval target (s)', config.targets.approvalSeconds, 'targets.approvalSeconds in pimops config'),
      ],
    },
  };
}

const latest = (table: string) => `${table}\n${LATEST}`;
const inRange = (column: string) => `| where ${column} >= ${RANGE.start} and ${column} < ${RANGE.end}`;

const STANDING = `${latest('PIMAssignments_CL')}
| summarize Total = count(), BreakGlass = countif(BreakGlass), ServicePrincipals = countif(PrincipalType == "service_principal" and not(BreakGlass)),
            Standing = countif(not(BreakGlass) and PrincipalType != "service_principal"), OutsidePim = countif(ViaPim == false)`;

/** Variant (a): the custom tables pimops sends. */
export function customTablesWorkbook(config: Config): Workbook {
  const tta = `${latest('PIMRequests_CL')}
| where RequestType == "activate" and Plane == "entra_role" and isnotnull(ActivatedAt) and isnotnull(RequestedAt)
${inRange('RequestedAt')}`;
  const items: WorkbookItem[] = [
    text('title', '# PIM operations (pimops)\nFrom the custom tables pimops exports (PIMRequests_CL, PIMActivations_CL, PIMAssignments_CL, PIMMetrics_CL, PIMFindings_CL). Every query takes the newest version of each row; history is filtered on its own event time, not TimeGenerated.'),
    parameters(config),
    query('tta', 'Time to activate (seconds) against target', `${tta}
| extend Target = iff(Route == "self", todouble({SelfTargetSeconds}), todouble({ApprovalTargetSeconds}))
| summarize Activations = count(), P50 = percentile(TimeToActivateSeconds, 50), P90 = percentile(TimeToActivateSeconds, 90),
            WithinTarget = countif(TimeToActivateSeconds < Target), Target = take_any(Target) by Route
| extend WithinTargetShare = round(100.0 * WithinTarget / Activations, 1)`, 'table', '50'),
    query('tta-trend', 'Time to activate p90 per day', `${tta}
| summarize P90 = percentile(TimeToActivateSeconds, 90) by bin(RequestedAt, 1d), Route`, 'timechart', '50'),
    query('approvals', 'Approval outcomes', `${latest('PIMRequests_CL')}
| where RequestType == "activate" and Plane == "entra_role" and Route == "approval"
${inRange('RequestedAt')}
| summarize Requests = count() by Decision`, 'piechart', '33'),
    query('approval-by-role', 'Approval rate per role', `${latest('PIMRequests_CL')}
| where RequestType == "activate" and Plane == "entra_role" and Route == "approval"
${inRange('RequestedAt')}
| summarize Approved = countif(Decision == "approved"), Denied = countif(Decision == "denied"), Expired = countif(Decision == "approval_expired") by RoleName
| extend ApprovalRate = iff(Approved + Denied > 0, round(100.0 * Approved / (Approved + Denied), 1), real(null))
| order by Denied desc`, 'table', '67'),
    query('active-hours', 'Active hours per admin (top 20)', `let From = ${RANGE.start};
let To = ${RANGE.end};
${latest('PIMActivations_CL')}
| where Plane == "entra_role" and StartedAt < To
| extend End = coalesce(EndedAt, iff(isnotnull(ScheduledEnd) and ScheduledEnd < now(), ScheduledEnd, now()))
| extend PieceStart = iff(StartedAt > From, StartedAt, From), PieceEnd = iff(End < To, End, To)
| where PieceEnd > PieceStart
| summarize Hours = round(sum(datetime_diff("second", PieceEnd, PieceStart)) / 3600.0, 1), Activations = countif(StartedAt >= From) by Admin = coalesce(PrincipalUpn, PrincipalId)
| top 20 by Hours desc`, 'barchart', '50'),
    query('standing', 'Standing access (target: zero beside break-glass and service principals)', STANDING, 'tiles', '50'),
    query('findings', 'Findings by severity', `${latest('PIMFindings_CL')}
| summarize Findings = count() by Severity, CheckId
| order by Severity asc`, 'barchart', '50'),
    query('findings-list', 'Critical and high findings', `${latest('PIMFindings_CL')}
| where Severity in ("critical", "high")
| project Severity, CheckId, SubjectName, Detail, FirstSeen, LastSeen
| order by LastSeen desc`, 'table', '50'),
    query('metric-trend', 'Monthly trend: time to activate p90 and approval rate', `${latest('PIMMetrics_CL')}
| where Plane == "entra_role"
| where (MetricId == "time_to_activate" and Measure == "p90_seconds") or (MetricId == "approval_outcomes" and Measure == "approval_rate" and tostring(Dimensions.request_type) == "activate")
| extend Series = iff(MetricId == "time_to_activate", strcat("p90 s, ", tostring(Dimensions.route)), "approval rate")
| project MonthStart, Series, Value
| order by MonthStart asc`, 'linechart'),
  ];
  return wrap('pimops-custom-tables', items);
}

/** Variant (b): the same metrics in KQL over AuditLogs, no pimops at query time. */
export function auditLogsWorkbook(config: Config): Workbook {
  const targets = { selfTargetSeconds: config.targets.selfActivationSeconds, approvalTargetSeconds: config.targets.approvalSeconds };
  const window = { from: RANGE.start, to: RANGE.end };
  // The item title says what the header comment says, and the workbook analyzer (KQL002) counts
  // every character: the comment and the indentation stay in the .kql files only.
  const bare = (kql: string) => kql.split('\n').filter((l) => !l.startsWith('//')).map((l) => l.trimStart()).join('\n').trim();
  const metric = (id: string, w: KqlWindow = window) => bare(kqlMetric(id).text(w, targets));
  const withTargets = (kql: string) => kql
    .replace(/^let SelfTarget = .*$/m, 'let SelfTarget = todouble({SelfTargetSeconds});')
    .replace(/^let ApprovalTarget = .*$/m, 'let ApprovalTarget = todouble({ApprovalTargetSeconds});');
  const items: WorkbookItem[] = [
    text('title', '# PIM operations from AuditLogs\nComputed in KQL from the workspace\'s AuditLogs with the same definitions as pimops (requests tied by RoleAssignmentRequestId or the Request target; Kusto percentiles are estimates). Needs only the Entra ID diagnostic setting that sends AuditLogs here.'),
    parameters(config),
    query('tta', 'Time to activate (seconds) against target', withTargets(metric('time_to_activate')), 'table', '50'),
    query('approvals', 'Approval outcomes', metric('approval_outcomes'), 'table', '50'),
    query('approval-by-role', 'Approval rate per role', metric('approval_rate_by_role'), 'table', '50'),
    query('active-hours', 'Active hours per admin', metric('active_hours', { ...window, asOf: `iff(now() < ${RANGE.end}, now(), ${RANGE.end})` }), 'table', '50'),
    query('activations-trend', 'PIM activations per day', `AuditLogs
| where ActivityDateTime >= ${RANGE.start} and ActivityDateTime < ${RANGE.end}
| where LoggedByService in ("PIM", "Privileged Identity Management") and ActivityDisplayName == "Add member to role completed (PIM activation)"
| summarize Activations = count() by bin(ActivityDateTime, 1d)`, 'timechart'),
    text('standing-note', '## Standing access\nThe audit log only shows assignments made while it was kept, so standing access comes from state snapshots: `pimops ingest snapshot` (Graph roleAssignmentScheduleInstances) exported as PIMAssignments_CL. The tiles below are empty until pimops has exported once.'),
    query('standing', 'Standing access (from PIMAssignments_CL)', STANDING, 'tiles'),
    query('outside-pim', 'Roles assigned outside PIM in the period', `AuditLogs
| where ActivityDateTime >= ${RANGE.start} and ActivityDateTime < ${RANGE.end}
| where LoggedByService == "Core Directory" and ActivityDisplayName == "Add member to role" and Result == "success"
| extend Initiator = coalesce(tostring(InitiatedBy.app.displayName), tostring(InitiatedBy.user.userPrincipalName), Identity)
| where Initiator !in ("MS-PIM", "MS-PIM-Fairfax")
| summarize Assignments = count() by Initiator`, 'table'),
  ];
  return wrap('pimops-auditlogs', items);
}

function wrap(id: string, items: WorkbookItem[]): Workbook {
  return { version: 'Notebook/1.0', items, fallbackResourceIds: [''], fromTemplateId: `sentinel-${id}`,
    $schema: 'https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json' };
}

/** Every KQL query in a workbook, by item name. */
export function workbookQueries(w: Workbook): { name: string; query: string }[] {
  return w.items.filter((i) => i.type === 3).map((i) => ({ name: i.name, query: String(i.content.query) }));
}

/**
 * The ARM wrapper: a shared workbook in the Sentinel gallery of the workspace. The resource name is a
 * GUID made from the resource group, the workspace and the variant, so a deployment for a second
 * workspace in the same resource group adds a workbook instead of overwriting the first.
 */
export function workbookArm(w: Workbook, displayName: string): object {
  return {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters: {
      workspaceResourceId: { type: 'string', metadata: { description: 'resource id of the Sentinel workspace' } },
      location: { type: 'string', defaultValue: '[resourceGroup().location]' },
    },
    resources: [{
      type: 'Microsoft.Insights/workbooks', apiVersion: API_VERSIONS.workbooks,
      name: `[guid(resourceGroup().id, parameters('workspaceResourceId'), '${w.fromTemplateId}')]`,
      location: "[parameters('location')]", kind: 'shared',
      properties: { displayName, serializedData: JSON.stringify(w), version: w.version, sourceId: "[parameters('workspaceResourceId')]", category: 'sentinel' },
    }],
  };
}
