// Scheduled analytics rules for the high-severity checks. They read AuditLogs and SigninLogs
// directly, so they fire even when pimops does not run; the watchlists the export writes name the
// break-glass accounts and privileged roles (deploy them first).
import { createHash } from 'node:crypto';
import type { Config } from '../../core/config.js';
import { ACT } from './kql.js';

export interface EntityMapping {
  entityType: string;
  fieldMappings: { identifier: string; columnName: string }[];
}

export interface AnalyticsRule {
  file: string;
  name: string;
  description: string;
  severity: 'High' | 'Medium';
  frequency: string; // Sentinel YAML style: 1h, 1d
  period: string;
  dataTypes: { connectorId: string; dataTypes: string[] }[];
  tactics: string[];
  techniques: string[];
  query: string;
  entities: EntityMapping[];
  /** Alert field name -> result column (Sentinel: at most 20, values are column names). */
  customDetails: Record<string, string>;
  /** Alert title and description naming the person and the role ({{Column}}, at most 3 per format). */
  alertDetails: { alertDisplayNameFormat: string; alertDescriptionFormat: string };
}

export const watchlistAlias = (config: Config, what: 'BreakGlass' | 'PrivilegedRoles' | 'StandingAssignments') =>
  `${config.sentinel.watchlistPrefix}${what}`;

/** Deterministic GUID from a name, so redeploying a template updates its rule instead of adding one. */
export function stableGuid(name: string): string {
  const h = createHash('sha256').update(`pimops:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const PIM_SERVICES = '"PIM", "Privileged Identity Management"';
const aad = (types: string[]) => [{ connectorId: 'AzureActiveDirectory', dataTypes: types }];

// Entities as Microsoft's own role and PIM rules map them, within Sentinel's three identifiers per
// mapping: a user is one Account by Name + UPNSuffix and one by AadUserId (either alone may be all a
// record has); the columns come from `userColumns` below.
const user = (prefix: string): EntityMapping[] => [
  {
    entityType: 'Account',
    fieldMappings: [
      { identifier: 'Name', columnName: `${prefix}Name` },
      { identifier: 'UPNSuffix', columnName: `${prefix}UPNSuffix` },
    ],
  },
  { entityType: 'Account', fieldMappings: [{ identifier: 'AadUserId', columnName: `${prefix}AadUserId` }] },
];
/** One Account mapping with all three: where a rule needs its five mappings for other entities. */
const userInOne = (prefix: string): EntityMapping => ({
  entityType: 'Account',
  fieldMappings: [
    { identifier: 'Name', columnName: `${prefix}Name` },
    { identifier: 'UPNSuffix', columnName: `${prefix}UPNSuffix` },
    { identifier: 'AadUserId', columnName: `${prefix}AadUserId` },
  ],
});
const ip = (column: string): EntityMapping => ({
  entityType: 'IP',
  fieldMappings: [{ identifier: 'Address', columnName: column }],
});
const app = (column: string): EntityMapping => ({
  entityType: 'CloudApplication',
  fieldMappings: [{ identifier: 'Name', columnName: column }],
});

/** KQL that splits a lower-cased UPN column and names the object id column the way `user` maps them. */
const userColumns = (prefix: string, upn: string, id: string) =>
  `${prefix}Name = tostring(split(${upn}, "@")[0]), ${prefix}UPNSuffix = tostring(split(${upn}, "@")[1]), ${prefix}AadUserId = ${id}`;

// Ingestion delay: each rule looks back two hours on an hourly schedule, but judges only the records
// that arrived in the last hour (ingestion_time), so a late record is seen once, by the next run, and
// never falls between two runs. Deduplicated by the record's Id.
// T1078 (Valid Accounts) sits under four tactics; Sentinel's template checks want every one of them
// named beside it.
const VALID_ACCOUNTS_TACTICS = ['InitialAccess', 'Persistence', 'PrivilegeEscalation', 'DefenseEvasion'];

const ARRIVED = '| where ingestion_time() > ago(1h)';

// PIM request and approval records leave InitiatedBy.user.ipAddress null and hold the requester's
// address in the additionalDetails key ipaddr (reference §7): the detail as IpAddr, then the address
// is the first non-empty of the two (KQL's coalesce skips empty strings). Other records have no
// ipaddr, so their address is unchanged.
export const IPADDR_DETAIL = `| mv-apply Detail = AdditionalDetails on (
    summarize IpAddr = take_anyif(tostring(Detail.value), tolower(tostring(Detail.key)) == "ipaddr"))`;
export const INITIATOR_IP = 'coalesce(tostring(InitiatedBy.user.ipAddress), IpAddr)';

export function analyticsRules(config: Config): AnalyticsRule[] {
  // Sentinel looks back at most 14 days from a scheduled rule.
  const mutualDays = Math.min(config.checks.mutualApprovalDays, 14);
  return [
    {
      file: 'pimops-break-glass-use.yaml',
      name: 'PIM: break-glass account used',
      description:
        'A break-glass (emergency access) account signed in (interactively or not: a refresh token or a script is use too) or performed a directory action. Any use should be an incident with a ticket; the accounts come from the watchlist pimops exports.',
      severity: 'High',
      frequency: '1h',
      period: '2h',
      dataTypes: aad(['SigninLogs', 'AADNonInteractiveUserSignInLogs', 'AuditLogs']),
      tactics: VALID_ACCOUNTS_TACTICS,
      techniques: ['T1078'],
      query: `let Accounts = _GetWatchlist("${watchlistAlias(config, 'BreakGlass')}")
    | project Upn = tolower(tostring(user_principal_name)), Id = tolower(tostring(user_id));
let Upns = Accounts | where isnotempty(Upn) | project Upn;
let Ids = Accounts | where isnotempty(Id) | project Id;
union
    (SigninLogs
    ${ARRIVED}
    | where tolower(UserPrincipalName) in (Upns) or tolower(UserId) in (Ids)
    | project TimeGenerated, Id, Activity = strcat("Sign-in to ", AppDisplayName), AccountUpn = tolower(UserPrincipalName), AccountId = tolower(UserId),
              IPAddress, Outcome = tostring(ResultType)),
    (AADNonInteractiveUserSignInLogs
    ${ARRIVED}
    | where tolower(UserPrincipalName) in (Upns) or tolower(UserId) in (Ids)
    | project TimeGenerated, Id, Activity = strcat("Non-interactive sign-in to ", AppDisplayName), AccountUpn = tolower(UserPrincipalName), AccountId = tolower(UserId),
              IPAddress, Outcome = tostring(ResultType)),
    (AuditLogs
    ${ARRIVED}
    | extend ActorUpn = tolower(tostring(InitiatedBy.user.userPrincipalName)), ActorId = tolower(tostring(InitiatedBy.user.id))
    | where ActorUpn in (Upns) or ActorId in (Ids)
    ${IPADDR_DETAIL.replaceAll('\n', '\n    ')}
    | project TimeGenerated, Id, Activity = ActivityDisplayName, AccountUpn = ActorUpn, AccountId = ActorId,
              IPAddress = ${INITIATOR_IP}, Outcome = Result)
| summarize arg_min(TimeGenerated, *) by Id
| extend ${userColumns('Account', 'AccountUpn', 'AccountId')}`,
      entities: [...user('Account'), ip('IPAddress')],
      customDetails: { Activity: 'Activity', Outcome: 'Outcome' },
      alertDetails: {
        alertDisplayNameFormat: 'Break-glass account {{AccountUpn}} used: {{Activity}}',
        alertDescriptionFormat:
          'The break-glass account {{AccountUpn}} was used ({{Activity}}, outcome {{Outcome}}). Open an incident with its ticket.',
      },
    },
    {
      file: 'pimops-role-assigned-outside-pim.yaml',
      name: 'PIM: role assigned outside PIM',
      description:
        'A directory role was added directly (Core Directory "Add member to role" not made by MS-PIM), bypassing PIM approval, justification and expiry. Privileged roles come from the watchlist pimops exports.',
      severity: 'High',
      frequency: '1h',
      period: '2h',
      dataTypes: aad(['AuditLogs']),
      tactics: ['PrivilegeEscalation', 'Persistence'],
      techniques: ['T1098'],
      query: `let Privileged = _GetWatchlist("${watchlistAlias(config, 'PrivilegedRoles')}") | project RoleId = tolower(tostring(role_id));
AuditLogs
${ARRIVED}
| where LoggedByService == "Core Directory" and ActivityDisplayName == "Add member to role" and Result == "success"
| summarize arg_min(TimeGenerated, *) by Id
| extend AppName = tostring(InitiatedBy.app.displayName)
| extend Initiator = coalesce(AppName, tostring(InitiatedBy.user.userPrincipalName), Identity)
| where Initiator !in ("MS-PIM", "MS-PIM-Fairfax")
| mv-expand Target = TargetResources
| where tolower(tostring(Target.type)) in ("user", "serviceprincipal", "group")
| mv-apply Prop = Target.modifiedProperties on (
    summarize RoleName = take_anyif(trim('"', tostring(Prop.newValue)), tostring(Prop.displayName) == "Role.DisplayName"),
              RoleId = tolower(take_anyif(trim('"', tostring(Prop.newValue)), tostring(Prop.displayName) == "Role.TemplateId")))
| extend Privileged = RoleId in (Privileged)
| extend ActorUpn = tolower(tostring(InitiatedBy.user.userPrincipalName)), ActorId = tolower(tostring(InitiatedBy.user.id)),
         ActorIp = tostring(InitiatedBy.user.ipAddress), AssigneeUpn = tolower(tostring(Target.userPrincipalName)), AssigneeId = tolower(tostring(Target.id))
| extend ${userColumns('Actor', 'ActorUpn', 'ActorId')},
         ${userColumns('Assignee', 'AssigneeUpn', 'AssigneeId')}
| project TimeGenerated, ActivityDateTime, RoleName, RoleId, Privileged, Initiator, AppName, ActorUpn, ActorName, ActorUPNSuffix, ActorAadUserId, ActorIp,
          AssigneeUpn, AssigneeName, AssigneeUPNSuffix, AssigneeAadUserId, AssigneeType = tostring(Target.type), CorrelationId`,
      // Five mappings at most (the detection template limit): who assigned in one, who received in two.
      entities: [userInOne('Actor'), ...user('Assignee'), ip('ActorIp'), app('AppName')],
      customDetails: {
        Role: 'RoleName',
        RoleId: 'RoleId',
        Privileged: 'Privileged',
        Initiator: 'Initiator',
        AssigneeType: 'AssigneeType',
      },
      alertDetails: {
        alertDisplayNameFormat: '{{Initiator}} assigned {{RoleName}} outside PIM to {{AssigneeUpn}}',
        alertDescriptionFormat:
          '{{Initiator}} added {{AssigneeUpn}} to the role {{RoleName}} directly, without PIM approval, justification or expiry.',
      },
    },
    {
      file: 'pimops-mutual-approval.yaml',
      name: 'PIM: two admins approved each other',
      description: `Two people approved each other's PIM activations within ${mutualDays} days: approval that depends on the pair, not on an independent approver.`,
      severity: 'High',
      frequency: '1h',
      period: `${mutualDays}d`,
      dataTypes: aad(['AuditLogs']),
      tactics: VALID_ACCOUNTS_TACTICS,
      techniques: ['T1078'],
      query: `let Window = ${mutualDays}d;
let Approvals = AuditLogs
    | where LoggedByService in (${PIM_SERVICES}) and ActivityDisplayName == "${ACT.approved}"
    | extend Arrived = ingestion_time() > ago(1h)
    | summarize arg_min(TimeGenerated, *) by Id
    | extend Approver = tolower(tostring(InitiatedBy.user.userPrincipalName)), ApproverId = tolower(tostring(InitiatedBy.user.id))
    | mv-apply Target = TargetResources on (
        summarize Requester = take_anyif(tolower(tostring(Target.userPrincipalName)), tolower(tostring(Target.type)) == "user"),
                  RequesterId = take_anyif(tolower(tostring(Target.id)), tolower(tostring(Target.type)) == "user"),
                  RoleName = take_anyif(tostring(Target.displayName), tolower(tostring(Target.type)) == "role"))
    | mv-apply Detail = AdditionalDetails on (
        summarize RequestKey = take_anyif(tostring(Detail.value), tolower(tostring(Detail.key)) == "roleassignmentrequestid"),
                  IpAddr = take_anyif(tostring(Detail.value), tolower(tostring(Detail.key)) == "ipaddr"))
    | extend ApproverIp = ${INITIATOR_IP}
    | where isnotempty(Approver) and isnotempty(Requester) and Approver != Requester
    | project TimeGenerated, Arrived, ApprovedAt = ActivityDateTime, Approver, ApproverId, ApproverIp, Requester, RequesterId, RoleName, RequestKey,
              Justification = ResultReason;
Approvals
| where Arrived
| join kind=inner (Approvals | project OtherApprovedAt = ApprovedAt, OtherApprover = Approver, OtherRequester = Requester, OtherRole = RoleName)
    on $left.Approver == $right.OtherRequester, $left.Requester == $right.OtherApprover
| where abs(datetime_diff("second", ApprovedAt, OtherApprovedAt)) <= Window / 1s
| summarize arg_max(OtherApprovedAt, OtherRole) by TimeGenerated, ApprovedAt, Approver, ApproverId, ApproverIp, Requester, RequesterId, RoleName, RequestKey, Justification
| extend ${userColumns('Approver', 'Approver', 'ApproverId')},
         ${userColumns('Requester', 'Requester', 'RequesterId')}
| project TimeGenerated, ApprovedAt, AccountUpn = Approver, ApproverName, ApproverUPNSuffix, ApproverAadUserId, ApproverIp,
          Requester, RequesterName, RequesterUPNSuffix, RequesterAadUserId, RoleName, RequestKey, Justification, OtherApprovedAt, OtherRole`,
      entities: [...user('Approver'), ...user('Requester'), ip('ApproverIp')],
      customDetails: {
        Role: 'RoleName',
        RequestKey: 'RequestKey',
        Justification: 'Justification',
        OtherRole: 'OtherRole',
      },
      alertDetails: {
        alertDisplayNameFormat: '{{AccountUpn}} and {{Requester}} approved each other ({{RoleName}})',
        alertDescriptionFormat:
          '{{AccountUpn}} approved the activation of {{RoleName}} by {{Requester}}, who has approved one of theirs in the window.',
      },
    },
    {
      file: 'pimops-role-settings-weakened.yaml',
      name: 'PIM: role settings weakened',
      description:
        'A PIM role setting was changed in a way that reads as weaker (MFA or approval disabled, requirement removed, longer activation, permanent assignment allowed).',
      severity: 'Medium',
      frequency: '1h',
      period: '2h',
      dataTypes: aad(['AuditLogs']),
      tactics: ['DefenseEvasion', 'PrivilegeEscalation'],
      techniques: ['T1484'],
      query: `AuditLogs
${ARRIVED}
| where LoggedByService in (${PIM_SERVICES}) and ActivityDisplayName == "${ACT.settingUpdated}"
| where ResultReason matches regex @"(?i)disabled|removed|not required|no longer|turned off|increased|permanent"
| summarize arg_min(TimeGenerated, *) by Id
| mv-apply Target = TargetResources on (
    summarize RoleName = take_anyif(tostring(Target.displayName), tolower(tostring(Target.type)) == "role"),
              RoleId = take_anyif(tostring(Target.id), tolower(tostring(Target.type)) == "role"))
${IPADDR_DETAIL}
| extend ActorUpn = tolower(tostring(InitiatedBy.user.userPrincipalName)), ActorId = tolower(tostring(InitiatedBy.user.id)),
         ActorIp = ${INITIATOR_IP}, AppName = tostring(InitiatedBy.app.displayName)
| extend ${userColumns('Actor', 'ActorUpn', 'ActorId')}
| project TimeGenerated, ActivityDateTime, RoleName, RoleId, Change = ResultReason, AccountUpn = coalesce(ActorUpn, AppName),
          ActorName, ActorUPNSuffix, ActorAadUserId, ActorIp, AppName, CorrelationId`,
      entities: [...user('Actor'), ip('ActorIp'), app('AppName')],
      customDetails: { Role: 'RoleName', RoleId: 'RoleId', Change: 'Change' },
      alertDetails: {
        alertDisplayNameFormat: '{{AccountUpn}} weakened the PIM settings of {{RoleName}}',
        alertDescriptionFormat: '{{AccountUpn}} changed the PIM settings of {{RoleName}}: {{Change}}',
      },
    },
  ];
}

export { RULE_TAGS, RULE_VERSION, ruleYaml, rulesArm } from './rule-files.js';
