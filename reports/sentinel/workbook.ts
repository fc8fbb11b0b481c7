// The Sentinel workbook, in two variants: (a) over the custom tables pimops exports, and (b) over the
// workspace's own AuditLogs, computed in KQL, so a tenant sees time to activate, approvals and
// active hours without pimops running at query time. Standing access and findings need state
// snapshots and pimops' checks: variant (b) (workbook-auditlogs.ts) says so and reads PIMAssignments_CL
// when it exists.
import type { Config } from '../../core/config.js';
import { API_VERSIONS } from './templates.js';
import {
  RANGE,
  STANDING,
  inRange,
  latest,
  parameters,
  query,
  text,
  wrap,
  type Workbook,
  type WorkbookItem,
} from './workbook-parts.js';

export type { Workbook, WorkbookItem };

export function customTablesWorkbook(config: Config): Workbook {
  const tta = `${latest('PIMRequests_CL')}
| where RequestType == "activate" and Plane == "entra_role" and isnotnull(ActivatedAt) and isnotnull(RequestedAt)
${inRange('RequestedAt')}`;
  const items: WorkbookItem[] = [
    text(
      'title',
      '# PIM operations (pimops)\nFrom the custom tables pimops exports (PIMRequests_CL, PIMActivations_CL, PIMAssignments_CL, PIMMetrics_CL, PIMFindings_CL). Every query takes the newest version of each row; history is filtered on its own event time, not TimeGenerated.',
    ),
    parameters(config),
    query(
      'tta',
      'Time to activate (seconds) against target',
      `${tta}
| extend Target = iff(Route == "self", todouble({SelfTargetSeconds}), todouble({ApprovalTargetSeconds}))
| summarize Activations = count(), P50 = percentile(TimeToActivateSeconds, 50), P90 = percentile(TimeToActivateSeconds, 90),
            WithinTarget = countif(TimeToActivateSeconds < Target), Target = take_any(Target) by Route
| extend WithinTargetShare = round(100.0 * WithinTarget / Activations, 1)`,
      'table',
      '50',
    ),
    query(
      'tta-trend',
      'Time to activate p90 per day',
      `${tta}
| summarize P90 = percentile(TimeToActivateSeconds, 90) by bin(RequestedAt, 1d), Route`,
      'timechart',
      '50',
    ),
    query(
      'approvals',
      'Approval outcomes',
      `${latest('PIMRequests_CL')}
| where RequestType == "activate" and Plane == "entra_role" and Route == "approval"
${inRange('RequestedAt')}
| summarize Requests = count() by Decision`,
      'piechart',
      '33',
    ),
    query(
      'approval-by-role',
      'Approval rate per role',
      `${latest('PIMRequests_CL')}
| where RequestType == "activate" and Plane == "entra_role" and Route == "approval"
${inRange('RequestedAt')}
| summarize Approved = countif(Decision == "approved"), Denied = countif(Decision == "denied"), Expired = countif(Decision == "approval_expired") by RoleName
| extend ApprovalRate = iff(Approved + Denied > 0, round(100.0 * Approved / (Approved + Denied), 1), real(null))
| order by Denied desc`,
      'table',
      '67',
    ),
    query(
      'active-hours',
      'Active hours per admin (top 20)',
      `let From = ${RANGE.start};
let To = ${RANGE.end};
${latest('PIMActivations_CL')}
| where Plane == "entra_role" and StartedAt < To
| extend End = coalesce(EndedAt, iff(isnotnull(ScheduledEnd) and ScheduledEnd < now(), ScheduledEnd, now()))
| extend PieceStart = iff(StartedAt > From, StartedAt, From), PieceEnd = iff(End < To, End, To)
| where PieceEnd > PieceStart
| summarize Hours = round(sum(datetime_diff("second", PieceEnd, PieceStart)) / 3600.0, 1), Activations = countif(StartedAt >= From) by Admin = coalesce(PrincipalUpn, PrincipalId)
| top 20 by Hours desc`,
      'barchart',
      '50',
    ),
    query(
      'standing',
      'Standing access (target: zero beside break-glass and service principals)',
      STANDING,
      'tiles',
      '50',
    ),
    query(
      'findings',
      'Findings by severity',
      `${latest('PIMFindings_CL')}
| summarize Findings = count() by Severity, CheckId
| order by Severity asc`,
      'barchart',
      '50',
    ),
    query(
      'findings-list',
      'Critical and high findings',
      `${latest('PIMFindings_CL')}
| where Severity in ("critical", "high")
| project Severity, CheckId, SubjectName, Detail, FirstSeen, LastSeen
| order by LastSeen desc`,
      'table',
      '50',
    ),
    query(
      'metric-trend',
      'Monthly trend: time to activate p90 and approval rate',
      `${latest('PIMMetrics_CL')}
| where Plane == "entra_role"
| where (MetricId == "time_to_activate" and Measure == "p90_seconds") or (MetricId == "approval_outcomes" and Measure == "approval_rate" and tostring(Dimensions.request_type) == "activate")
| extend Series = iff(MetricId == "time_to_activate", strcat("p90 s, ", tostring(Dimensions.route)), "approval rate")
| project MonthStart, Series, Value
| order by MonthStart asc`,
      'linechart',
    ),
  ];
  return wrap('pimops-custom-tables', items);
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
    resources: [
      {
        type: 'Microsoft.Insights/workbooks',
        apiVersion: API_VERSIONS.workbooks,
        name: `[guid(resourceGroup().id, parameters('workspaceResourceId'), '${w.fromTemplateId}')]`,
        location: "[parameters('location')]",
        kind: 'shared',
        properties: {
          displayName,
          serializedData: JSON.stringify(w),
          version: w.version,
          sourceId: "[parameters('workspaceResourceId')]",
          category: 'sentinel',
        },
      },
    ],
  };
}

export { auditLogsWorkbook } from './workbook-auditlogs.js';
