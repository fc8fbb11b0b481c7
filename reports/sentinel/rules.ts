// Scheduled analytics rules for the high-severity checks. They read AuditLogs and SigninLogs
// directly, so they fire even when pimops does not run; the watchlists the export writes name the
// break-glass accounts and privileged roles (deploy them first).
import { createHash } from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import type { Config } from '../../core/config.js';
import { ACT } from './kql.js';

export interface AnalyticsRule {
  file: string;
  name: string;
  description: string;
  severity: 'High' | 'Medium';
  frequency: string;   // Sentinel YAML style: 1h, 1d
  period: string;
  dataTypes: { connectorId: string; dataTypes: string[] }[];
  tactics: string[];
  techniques: string[];
  query: string;
  entities: { entityType: string; fieldMappings: { identifier: string; columnName: string }[] }[];
}

export const watchlistAlias = (config: Config, what: 'BreakGlass' | 'PrivilegedRoles' | 'StandingAssignments') => `${config.sentinel.watchlistPrefix}${what}`;

/** Deterministic GUID from a name, so redeploying a template updates its rule instead of adding one. */
export function stableGuid(name: string): string {
  const h = createHash('sha256').update(`pimops:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const PIM_SERVICES = '"PIM", "Privileged Identity Management"';
const account = [{ entityType: 'Account', fieldMappings: [{ identifier: 'FullName', columnName: 'AccountUpn' }] }];
const aad = (types: string[]) => [{ connectorId: 'AzureActiveDirectory', dataTypes: types }];

export function analyticsRules(config: Config): AnalyticsRule[] {
  // Sentinel looks back at most 14 days from a scheduled rule.
  const mutualDays = Math.min(config.checks.mutualApprovalDays, 14);
  return [
    {
      file: 'pimops-break-glass-use.yaml', name: 'PIM: break-glass account used',
      description: 'A break-glass (emergency access) account signed in or performed a directory action. Any use should be an incident with a ticket; the accounts come from the watchlist pimops exports.',
      severity: 'High', frequency: '1h', period: '1h', dataTypes: aad(['SigninLogs', 'AuditLogs']),
      tactics: ['InitialAccess', 'PrivilegeEscalation'], techniques: ['T1078'],
      query: `let Accounts = _GetWatchlist("${watchlistAlias(config, 'BreakGlass')}")
    | project Upn = tolower(tostring(user_principal_name)), Id = tolower(tostring(user_id));
let Upns = Accounts | where isnotempty(Upn) | project Upn;
let Ids = Accounts | where isnotempty(Id) | project Id;
union
    (SigninLogs
    | where tolower(UserPrincipalName) in (Upns) or tolower(UserId) in (Ids)
    | project TimeGenerated, Activity = strcat("Sign-in to ", AppDisplayName), AccountUpn = tolower(UserPrincipalName), AccountId = tolower(UserId),
              IPAddress, Outcome = tostring(ResultType)),
    (AuditLogs
    | extend ActorUpn = tolower(tostring(InitiatedBy.user.userPrincipalName)), ActorId = tolower(tostring(InitiatedBy.user.id))
    | where ActorUpn in (Upns) or ActorId in (Ids)
    | project TimeGenerated, Activity = ActivityDisplayName, AccountUpn = ActorUpn, AccountId = ActorId,
              IPAddress = tostring(InitiatedBy.user.ipAddress), Outcome = Result)`,
      entities: [...account, { entityType: 'IP', fieldMappings: [{ identifier: 'Address', columnName: 'IPAddress' }] }],
    },
    {
      file: 'pimops-role-assigned-outside-pim.yaml', name: 'PIM: role assigned outside PIM',
      description: 'A directory role was added directly (Core Directory "Add member to role" not made by MS-PIM), bypassing PIM approval, justification and expiry. Privileged roles come from the watchlist pimops exports.',
      severity: 'High', frequency: '1h', period: '1h', dataTypes: aad(['AuditLogs']),
      tactics: ['PrivilegeEscalation', 'Persistence'], techniques: ['T1098'],
      query: `let Privileged = _GetWatchlist("${watchlistAlias(config, 'PrivilegedRoles')}") | project RoleId = tolower(tostring(role_id));
AuditLogs
| where LoggedByService == "Core Directory" and ActivityDisplayName == "Add member to role" and Result == "success"
| extend Initiator = coalesce(tostring(InitiatedBy.app.displayName), tostring(InitiatedBy.user.userPrincipalName), Identity)
| where Initiator !in ("MS-PIM", "MS-PIM-Fairfax")
| mv-expand Target = TargetResources
| where tolower(tostring(Target.type)) in ("user", "serviceprincipal", "group")
| mv-apply Prop = Target.modifiedProperties on (
    summarize RoleName = take_anyif(trim('"', tostring(Prop.newValue)), tostring(Prop.displayName) == "Role.DisplayName"),
              RoleId = tolower(take_anyif(trim('"', tostring(Prop.newValue)), tostring(Prop.displayName) == "Role.TemplateId")))
| extend Privileged = RoleId in (Privileged)
| project TimeGenerated, ActivityDateTime, RoleName, RoleId, Privileged, AssigneeId = tostring(Target.id), AssigneeUpn = tostring(Target.userPrincipalName),
          AccountUpn = tolower(tostring(InitiatedBy.user.userPrincipalName)), Initiator, CorrelationId`,
      entities: account,
    },
    {
      file: 'pimops-mutual-approval.yaml', name: 'PIM: two admins approved each other',
      description: `Two people approved each other's PIM activations within ${mutualDays} days: approval that depends on the pair, not on an independent approver.`,
      severity: 'High', frequency: '1h', period: `${mutualDays}d`, dataTypes: aad(['AuditLogs']),
      tactics: ['PrivilegeEscalation'], techniques: ['T1078'],
      query: `let Window = ${mutualDays}d;
let Approvals = AuditLogs
    | where LoggedByService in (${PIM_SERVICES}) and ActivityDisplayName == "${ACT.approved}"
    | extend Approver = tolower(tostring(InitiatedBy.user.userPrincipalName))
    | mv-apply Target = TargetResources on (
        summarize Requester = take_anyif(tolower(tostring(Target.userPrincipalName)), tolower(tostring(Target.type)) == "user"),
                  RoleName = take_anyif(tostring(Target.displayName), tolower(tostring(Target.type)) == "role"))
    | where isnotempty(Approver) and isnotempty(Requester) and Approver != Requester
    | project TimeGenerated, ApprovedAt = ActivityDateTime, Approver, Requester, RoleName;
Approvals
| where TimeGenerated > ago(1h)
| join kind=inner (Approvals | project OtherApprovedAt = ApprovedAt, OtherApprover = Approver, OtherRequester = Requester, OtherRole = RoleName)
    on $left.Approver == $right.OtherRequester, $left.Requester == $right.OtherApprover
| where abs(datetime_diff("second", ApprovedAt, OtherApprovedAt)) <= Window / 1s
| summarize arg_max(OtherApprovedAt, OtherRole) by TimeGenerated, ApprovedAt, Approver, Requester, RoleName
| project TimeGenerated, ApprovedAt, AccountUpn = Approver, Requester, RoleName, OtherApprovedAt, OtherRole`,
      entities: [...account, { entityType: 'Account', fieldMappings: [{ identifier: 'FullName', columnName: 'Requester' }] }],
    },
    {
      file: 'pimops-role-settings-weakened.yaml', name: 'PIM: role settings weakened',
      description: 'A PIM role setting was changed in a way that reads as weaker (MFA or approval disabled, requirement removed, longer activation, permanent assignment allowed).',
      severity: 'Medium', frequency: '1h', period: '1h', dataTypes: aad(['AuditLogs']),
      tactics: ['DefenseEvasion', 'PrivilegeEscalation'], techniques: ['T1484'],
      query: `AuditLogs
| where LoggedByService in (${PIM_SERVICES}) and ActivityDisplayName == "${ACT.settingUpdated}"
| where ResultReason matches regex @"(?i)disabled|removed|not required|no longer|turned off|increased|permanent"
| mv-apply Target = TargetResources on (
    summarize RoleName = take_anyif(tostring(Target.displayName), tolower(tostring(Target.type)) == "role"),
              RoleId = take_anyif(tostring(Target.id), tolower(tostring(Target.type)) == "role"))
| project TimeGenerated, ActivityDateTime, RoleName, RoleId, Change = ResultReason,
          AccountUpn = tolower(tostring(InitiatedBy.user.userPrincipalName)), CorrelationId`,
      entities: account,
    },
  ];
}

const isoDuration = (d: string) => (d.endsWith('h') ? `PT${d.slice(0, -1).toUpperCase()}H` : `P${d.slice(0, -1)}D`);

/** The Azure-Sentinel repository's YAML layout. */
export function ruleYaml(r: AnalyticsRule): string {
  return toYaml({
    id: stableGuid(r.name), name: r.name, description: r.description, severity: r.severity,
    requiredDataConnectors: r.dataTypes, queryFrequency: r.frequency, queryPeriod: r.period,
    triggerOperator: 'gt', triggerThreshold: 0, tactics: r.tactics, relevantTechniques: r.techniques,
    query: r.query, entityMappings: r.entities, version: '1.0.0', kind: 'Scheduled',
  }, { lineWidth: 0 });
}

/** One ARM template with every rule, as Microsoft.SecurityInsights alert rules on the workspace. */
export function rulesArm(rules: AnalyticsRule[]): object {
  return {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters: { workspaceName: { type: 'string', metadata: { description: 'the Sentinel-enabled Log Analytics workspace' } } },
    resources: rules.map((r) => ({
      type: 'Microsoft.OperationalInsights/workspaces/providers/alertRules',
      apiVersion: '2023-02-01',
      name: `[concat(parameters('workspaceName'), '/Microsoft.SecurityInsights/', '${stableGuid(r.name)}')]`,
      kind: 'Scheduled',
      properties: {
        displayName: r.name, description: r.description, severity: r.severity, enabled: true, query: r.query,
        queryFrequency: isoDuration(r.frequency), queryPeriod: isoDuration(r.period),
        triggerOperator: 'GreaterThan', triggerThreshold: 0, suppressionDuration: 'PT5H', suppressionEnabled: false,
        tactics: r.tactics, techniques: r.techniques, entityMappings: r.entities,
        eventGroupingSettings: { aggregationKind: 'AlertPerResult' },
      },
    })),
  };
}
