// State of the two other PIM planes (issue 23) into the tables Entra roles use, told apart by `plane`:
// PIM for Groups from Graph (privilegedAccess/group instances: role_id is the accessId, member or
// owner; scope_id the group) and Azure resources from ARM Microsoft.Authorization (role_id the role
// definition's GUID, scope_id the ARM scope, lower-cased as the audit log's ResourceOriginId is).
// Role settings of every plane are flattened by one statement (policyRowsSql), so a rule means the
// same wherever it was read.
import { sqlString } from '../core/db.js';

const objects = (file: string) => `read_ndjson_objects(${sqlString(file)})`;

const ASSIGNMENT_COLUMNS = `plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id, kind,
  member_type, start_at, end_at, removed_at, is_permanent, via_pim, source, observed_at, source_event_id`;

/**
 * role_policies rows from a relation `src` of (plane, scope_id, role_id, policy_id, rules JSON[]):
 * Graph's unifiedRoleManagementPolicyRule and ARM's RoleManagementPolicyRule share ids and fields.
 */
export function policyRowsSql(src: string, at: string, landed: string): string {
  return `INSERT INTO role_policies BY NAME
    WITH p AS (${src}),
    r AS (SELECT plane, scope_id, role_id, policy_id, rule ->> 'id' AS rule_id, rule FROM p, unnest(rules) AS u(rule))
    SELECT ${at} AS observed_at, plane, scope_id, role_id, any_value(policy_id) AS policy_id,
      max(rule ->> 'maximumDuration') FILTER (WHERE rule_id = 'Expiration_EndUser_Assignment') AS max_activation,
      max(iso_duration_seconds(rule ->> 'maximumDuration')) FILTER (WHERE rule_id = 'Expiration_EndUser_Assignment') AS max_activation_seconds,
      bool_or(list_contains(CAST(rule -> 'enabledRules' AS VARCHAR[]), 'MultiFactorAuthentication')) FILTER (WHERE rule_id = 'Enablement_EndUser_Assignment') AS mfa_required,
      bool_or(list_contains(CAST(rule -> 'enabledRules' AS VARCHAR[]), 'Justification')) FILTER (WHERE rule_id = 'Enablement_EndUser_Assignment') AS justification_required,
      bool_or(list_contains(CAST(rule -> 'enabledRules' AS VARCHAR[]), 'Ticketing')) FILTER (WHERE rule_id = 'Enablement_EndUser_Assignment') AS ticket_required,
      bool_or((rule ->> 'isEnabled')::BOOLEAN) FILTER (WHERE rule_id = 'AuthenticationContext_EndUser_Assignment') AS auth_context_enabled,
      max(rule ->> 'claimValue') FILTER (WHERE rule_id = 'AuthenticationContext_EndUser_Assignment') AS auth_context,
      bool_or((rule ->> '$.setting.isApprovalRequired')::BOOLEAN) FILTER (WHERE rule_id = 'Approval_EndUser_Assignment') AS approval_required,
      CAST(max(coalesce(json_array_length(rule -> '$.setting.approvalStages[0].primaryApprovers'), 0)) FILTER (WHERE rule_id = 'Approval_EndUser_Assignment') AS INTEGER) AS approvers,
      max(list_transform(CAST(rule -> '$.setting.approvalStages[0].primaryApprovers' AS JSON[]), a -> coalesce(a ->> 'id', a ->> 'userId', a ->> 'groupId'))) FILTER (WHERE rule_id = 'Approval_EndUser_Assignment') AS approver_ids,
      max(TRY_CAST(rule ->> '$.setting.approvalStages[0].approvalStageTimeOutInDays' AS DOUBLE)) FILTER (WHERE rule_id = 'Approval_EndUser_Assignment') AS approval_timeout_days,
      bool_or(NOT (rule ->> 'isExpirationRequired')::BOOLEAN) FILTER (WHERE rule_id = 'Expiration_Admin_Eligibility') AS permanent_eligible_allowed,
      bool_or(NOT (rule ->> 'isExpirationRequired')::BOOLEAN) FILTER (WHERE rule_id = 'Expiration_Admin_Assignment') AS permanent_active_allowed,
      ${landed} AS landing_file
    FROM r GROUP BY plane, scope_id, role_id`;
}

const graphPrincipalType = (path: string) => `CASE ${path} WHEN '#microsoft.graph.user' THEN 'user'
  WHEN '#microsoft.graph.servicePrincipal' THEN 'service_principal' WHEN '#microsoft.graph.group' THEN 'group' END`;

/** PIM for Groups instances: only assigned (not activated) assignment instances are assignments. */
function groupInstancesSql(file: string, at: string, landed: string, kind: 'active' | 'eligible'): string {
  return `INSERT INTO role_assignments (${ASSIGNMENT_COLUMNS})
    SELECT 'group', lower(json ->> 'principalId'), lower(json ->> '$.principal.userPrincipalName'),
      ${graphPrincipalType(`json ->> '$.principal."@odata.type"'`)},
      lower(json ->> 'accessId'), upper(left(json ->> 'accessId', 1)) || lower(substr(json ->> 'accessId', 2)), lower(json ->> 'groupId'), '${kind}', lower(coalesce(json ->> 'memberType', 'direct')),
      TRY_CAST(json ->> 'startDateTime' AS TIMESTAMPTZ), TRY_CAST(json ->> 'endDateTime' AS TIMESTAMPTZ), NULL,
      (json ->> 'endDateTime') IS NULL, NULL, 'snapshot', ${at}, json ->> 'id'
    FROM ${objects(file)}
    WHERE ${kind === 'active' ? "lower(coalesce(json ->> 'assignmentType', 'assigned')) = 'assigned'" : 'true'}`;
}

/** The GUID at the end of an ARM role definition id (/…/providers/Microsoft.Authorization/roleDefinitions/{guid}). */
const armRoleId = (expr: string) => `lower(regexp_extract(${expr}, '([^/]+)/?$', 1))`;

/**
 * ARM instances. A subscription's list repeats what its management groups hold (inherited), so an
 * instance is kept once, by its id.
 */
function armInstancesSql(file: string, at: string, landed: string, kind: 'active' | 'eligible'): string {
  return `INSERT INTO role_assignments (${ASSIGNMENT_COLUMNS})
    SELECT 'azure_resource', lower(json ->> '$.properties.principalId'), lower(nullif(json ->> '$.properties.expandedProperties.principal.email', '')),
      CASE lower(json ->> '$.properties.principalType') WHEN 'user' THEN 'user' WHEN 'serviceprincipal' THEN 'service_principal'
        WHEN 'group' THEN 'group' END,
      ${armRoleId(`json ->> '$.properties.roleDefinitionId'`)}, json ->> '$.properties.expandedProperties.roleDefinition.displayName',
      lower(json ->> '$.properties.scope'), '${kind}', lower(coalesce(json ->> '$.properties.memberType', 'direct')),
      TRY_CAST(json ->> '$.properties.startDateTime' AS TIMESTAMPTZ), TRY_CAST(json ->> '$.properties.endDateTime' AS TIMESTAMPTZ), NULL,
      (json ->> '$.properties.endDateTime') IS NULL, NULL, 'snapshot', ${at}, json ->> 'id'
    FROM ${objects(file)}
    WHERE ${kind === 'active' ? "coalesce(json ->> '$.properties.assignmentType', 'Assigned') = 'Assigned'" : 'true'}
    QUALIFY row_number() OVER (PARTITION BY lower(json ->> 'id')) = 1;
    INSERT INTO role_definitions BY NAME
    SELECT DISTINCT ${at} AS observed_at, ${armRoleId(`json ->> '$.properties.roleDefinitionId'`)} AS role_id,
      json ->> '$.properties.expandedProperties.roleDefinition.displayName' AS role_name,
      (json ->> '$.properties.expandedProperties.roleDefinition.type') = 'BuiltInRole' AS is_built_in, NULL::BOOLEAN AS is_privileged,
      ${landed} AS landing_file, 'azure_resource' AS plane
    FROM ${objects(file)} WHERE json ->> '$.properties.expandedProperties.roleDefinition.displayName' IS NOT NULL`;
}

function scopesSql(select: string, file: string, at: string, landed: string, tenant: string, where = 'true'): string {
  return `INSERT INTO pim_scopes BY NAME
    SELECT DISTINCT ${tenant} AS tenant_id, ${at} AS observed_at, ${select}, ${landed} AS landing_file
    FROM ${objects(file)} WHERE ${where}`;
}

export type PlaneLoader = (file: string, at: string, landed: string, tenant: string) => string;

/** Loaders by manifest endpoint, beside the Entra ones in snapshot.ts. */
export const PLANE_LOADERS: Record<string, PlaneLoader> = {
  groupEligibilityScheduleInstances: (f, at, l) => groupInstancesSql(f, at, l, 'eligible'),
  groupAssignmentScheduleInstances: (f, at, l) => groupInstancesSql(f, at, l, 'active'),
  // groupPolicyAssignments is read by the Entra loader (snapshot.ts): one endpoint, told apart by scopeType.
  pimGroups: (f, at, l, t) =>
    scopesSql(
      `'group' AS plane, lower(json ->> 'id') AS scope_id, json ->> 'displayName' AS scope_name, 'group' AS scope_type`,
      f,
      at,
      l,
      t,
    ),
  armRoleEligibilityScheduleInstances: (f, at, l) => armInstancesSql(f, at, l, 'eligible'),
  armRoleAssignmentScheduleInstances: (f, at, l) => armInstancesSql(f, at, l, 'active'),
  // Each assignment carries the policy it names ("@pimops.policy", attached by the pull); the
  // assignment's effectiveRules when it has them are what ARM enforces.
  armRoleManagementPolicyAssignments: (f, at, l) =>
    policyRowsSql(
      `SELECT 'azure_resource' AS plane, lower(json ->> '$.properties.scope') AS scope_id,
        ${armRoleId(`json ->> '$.properties.roleDefinitionId'`)} AS role_id, json ->> '$.properties.policyId' AS policy_id,
        CAST(coalesce(json -> '$."@pimops.policy".properties.effectiveRules', json -> '$."@pimops.policy".properties.rules',
                      json -> '$.properties.effectiveRules') AS JSON[]) AS rules
      FROM ${objects(f)} QUALIFY row_number() OVER (PARTITION BY lower(json ->> 'id')) = 1`,
      at,
      l,
    ),
  armSubscriptions: (f, at, l, t) =>
    scopesSql(
      `'azure_resource' AS plane, lower(coalesce(json ->> 'id', '/subscriptions/' || (json ->> 'subscriptionId'))) AS scope_id,
       json ->> 'displayName' AS scope_name, 'subscription' AS scope_type`,
      f,
      at,
      l,
      t,
    ),
  armManagementGroups: (f, at, l, t) =>
    scopesSql(
      `'azure_resource' AS plane, lower(json ->> 'id') AS scope_id,
       coalesce(json ->> 'displayName', json ->> '$.properties.displayName', json ->> 'name') AS scope_name, 'management_group' AS scope_type`,
      f,
      at,
      l,
      t,
    ),
};
