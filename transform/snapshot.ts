// Snapshot responses (landed by `pimops ingest snapshot`, or saved Graph responses through import)
// into the state tables, each row stamped with its observation time. Read with DuckDB's JSON
// functions: these files are small next to the audit log.
import type { Db } from '../core/db.js';
import { sqlString } from '../core/db.js';
import type { ManifestEntry } from '../core/landing.js';
import { PLANE_LOADERS, policyRowsSql, type PlaneLoader } from './snapshot-planes.js';

function objects(file: string): string {
  return `read_ndjson_objects(${sqlString(file)})`;
}

const LOADERS: Record<string, PlaneLoader> = {
  roleAssignmentScheduleInstances: (file, at, landed) => `${assignmentsSql(file, at, landed, 'active')};
    INSERT INTO activation_instances (observed_at, principal_id, role_id, scope_id, start_at, end_at, member_type, instance_id, landing_file)
    SELECT ${at}, lower(json ->> 'principalId'), lower(json ->> 'roleDefinitionId'), coalesce(json ->> 'directoryScopeId', '/'),
      TRY_CAST(json ->> 'startDateTime' AS TIMESTAMPTZ), TRY_CAST(json ->> 'endDateTime' AS TIMESTAMPTZ), lower(json ->> 'memberType'), json ->> 'id', ${landed}
    FROM ${objects(file)} WHERE json ->> 'assignmentType' = 'Activated'`,
  roleEligibilityScheduleInstances: (file, at, landed) => assignmentsSql(file, at, landed, 'eligible'),
  roleDefinitions: (
    file,
    at,
    landed,
  ) => `INSERT INTO role_definitions (observed_at, role_id, role_name, is_built_in, is_privileged, landing_file, plane)
    SELECT ${at}, lower(json ->> 'id'), json ->> 'displayName', (json ->> 'isBuiltIn')::BOOLEAN, TRY_CAST(json ->> 'isPrivileged' AS BOOLEAN), ${landed}, 'entra_role'
    FROM ${objects(file)}`,
  users: (
    file,
    at,
    landed,
  ) => `INSERT INTO directory_users (observed_at, user_id, user_principal_name, display_name, account_enabled,
      last_sign_in, last_password_change, manager_id, landing_file, sign_in_known, sign_in_missing)
    SELECT ${at}, lower(json ->> 'id'), lower(json ->> 'userPrincipalName'), json ->> 'displayName', TRY_CAST(json ->> 'accountEnabled' AS BOOLEAN),
      TRY_CAST(coalesce(json ->> '$.signInActivity.lastSuccessfulSignInDateTime', json ->> '$.signInActivity.lastSignInDateTime') AS TIMESTAMPTZ),
      TRY_CAST(json ->> 'lastPasswordChangeDateTime' AS TIMESTAMPTZ), lower(json ->> '$.manager.id'), ${landed},
      coalesce(json_type(json, '$.signInActivity') = 'OBJECT', false), json ->> '$."@pimops.signInActivityMissing"'
    FROM ${objects(file)}`,
  signIns: (
    file,
    _at,
    landed,
  ) => `INSERT INTO sign_ins (sign_in_id, created_at, user_id, user_principal_name, app_display_name,
      ip_address, error_code, conditional_access_status, landing_file, event_type)
    SELECT json ->> 'id', TRY_CAST(json ->> 'createdDateTime' AS TIMESTAMPTZ), lower(json ->> 'userId'), lower(json ->> 'userPrincipalName'),
      json ->> 'appDisplayName', json ->> 'ipAddress', TRY_CAST(json ->> '$.status.errorCode' AS INTEGER), json ->> 'conditionalAccessStatus', ${landed},
      -- v1.0 signIns and SigninLogs hold interactive sign-ins only; the other kinds say what they are.
      coalesce(json ->> '$.signInEventTypes[0]', 'interactiveUser')
    FROM ${objects(file)} s WHERE NOT EXISTS (SELECT 1 FROM sign_ins i WHERE i.sign_in_id = (s.json ->> 'id'))
    QUALIFY row_number() OVER (PARTITION BY json ->> 'id') = 1`,
  accessReviewInstances: (
    file,
    at,
    landed,
  ) => `INSERT INTO access_review_instances (observed_at, definition_id, instance_id, start_at, end_at, status, landing_file)
    SELECT ${at}, json ->> '@pimops.definitionId', json ->> 'id', TRY_CAST(json ->> 'startDateTime' AS TIMESTAMPTZ), TRY_CAST(json ->> 'endDateTime' AS TIMESTAMPTZ), json ->> 'status', ${landed}
    FROM ${objects(file)}`,
  accessReviewDecisions: (
    file,
    at,
    landed,
  ) => `INSERT INTO access_review_decisions (observed_at, definition_id, instance_id, decision_id, principal_id,
      principal_upn, decision, recommendation, reviewed_by, reviewed_at, apply_result, landing_file)
    SELECT ${at}, json ->> '@pimops.definitionId', json ->> '@pimops.instanceId', json ->> 'id', lower(json ->> '$.principal.id'), lower(json ->> '$.principal.userPrincipalName'),
      json ->> 'decision', json ->> 'recommendation', lower(nullif(json ->> '$.reviewedBy.id', '00000000-0000-0000-0000-000000000000')),
      TRY_CAST(json ->> 'reviewedDateTime' AS TIMESTAMPTZ), json ->> 'applyResult', ${landed}
    FROM ${objects(file)}`,
  accessReviewDefinitions: (
    file,
    at,
    landed,
  ) => `INSERT INTO access_review_definitions (observed_at, review_id, display_name, status, scope, settings, reviewers, landing_file)
    SELECT ${at}, json ->> 'id', json ->> 'displayName', json ->> 'status', json -> 'scope', json -> 'settings', json -> 'reviewers', ${landed}
    FROM ${objects(file)}`,
  roleManagementPolicyAssignments: (file, at, landed) =>
    policyRowsSql(
      // A saved response may hold PIM for Groups policies too (scopeType Group): the same shape, another plane.
      `SELECT CASE json ->> 'scopeType' WHEN 'Group' THEN 'group' ELSE 'entra_role' END AS plane,
        CASE json ->> 'scopeType' WHEN 'Group' THEN lower(json ->> 'scopeId') ELSE '/' END AS scope_id,
        lower(json ->> 'roleDefinitionId') AS role_id, json ->> 'policyId' AS policy_id,
        CAST(json -> '$.policy.rules' AS JSON[]) AS rules FROM ${objects(file)}`,
      at,
      landed,
    ),
};

function assignmentsSql(file: string, at: string, landed: string, kind: 'active' | 'eligible'): string {
  // Activated instances are activations (pim_activations has them from the log; activation_instances
  // keeps them for starts older than the log): only Assigned ones are assignments. endDateTime NULL = permanent.
  // A member's instance with memberType Group (or Inherited) holds the role through a role-assignable
  // group: the group is the principal of the instance that shares its schedule (or, for an active one,
  // its roleAssignmentOriginId), and is named on the member's row. The group's own row stays as Graph
  // gave it; standing_assignments counts the members in its place.
  const schedule = kind === 'active' ? 'roleAssignmentScheduleId' : 'roleEligibilityScheduleId';
  const origin = kind === 'active' ? "json ->> 'roleAssignmentOriginId'" : 'NULL::VARCHAR';
  return `INSERT INTO role_assignments (plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id, kind,
      member_type, start_at, end_at, removed_at, is_permanent, via_pim, source, observed_at, source_event_id, via_group_id, via_group_name)
    WITH i AS (
      SELECT json, lower(json ->> 'principalId') AS principal_id, json ->> '${schedule}' AS schedule_id, ${origin} AS origin_id,
        lower(coalesce(json ->> 'memberType', 'direct')) AS member_type,
        CASE json ->> '$.principal."@odata.type"' WHEN '#microsoft.graph.user' THEN 'user' WHEN '#microsoft.graph.servicePrincipal' THEN 'service_principal'
          WHEN '#microsoft.graph.group' THEN 'group' END AS principal_type
      FROM ${objects(file)}
      WHERE ${kind === 'active' ? "coalesce(json ->> 'assignmentType', 'Assigned') = 'Assigned'" : 'true'}
    ),
    g AS (SELECT principal_id AS group_id, json ->> '$.principal.displayName' AS group_name, schedule_id, origin_id FROM i WHERE principal_type = 'group')
    SELECT 'entra_role', i.principal_id, lower(json ->> '$.principal.userPrincipalName'), i.principal_type,
      lower(json ->> 'roleDefinitionId'), NULL, coalesce(json ->> 'directoryScopeId', '/'), '${kind}', i.member_type,
      TRY_CAST(json ->> 'startDateTime' AS TIMESTAMPTZ), TRY_CAST(json ->> 'endDateTime' AS TIMESTAMPTZ), NULL,
      (json ->> 'endDateTime') IS NULL, NULL, 'snapshot', ${at}, json ->> 'id',
      v.group_id, v.group_name
    FROM i LEFT JOIN LATERAL (
      SELECT g.group_id, g.group_name FROM g
      WHERE i.member_type IN ('group', 'inherited') AND coalesce(i.principal_type, '') <> 'group'
        AND (g.schedule_id = i.schedule_id OR g.origin_id = i.origin_id)
      ORDER BY g.group_id LIMIT 1
    ) v ON true`;
}

/** The state tables a snapshot fills, each with the tenant of its rows (issue 21). */
export const STATE_TABLES = [
  'activation_instances',
  'role_policies',
  'role_definitions',
  'directory_users',
  'sign_ins',
  'access_review_definitions',
  'access_review_instances',
  'access_review_decisions',
  'pim_scopes',
] as const;

/** The rows a file just loaded belong to the tenant it was pulled from (or imported for). */
async function stampTenant(db: Db, e: ManifestEntry): Promise<void> {
  const t = { t: e.tenantId!.toLowerCase(), f: e.landedFile };
  for (const table of STATE_TABLES)
    await db.run(`UPDATE ${table} SET tenant_id = $t WHERE landing_file = $f AND tenant_id IS NULL`, t);
  await db.run(
    `UPDATE role_assignments SET tenant_id = $t WHERE source = 'snapshot' AND tenant_id IS NULL AND observed_at = $at::TIMESTAMPTZ`,
    { t: t.t, at: e.observedAt! },
  );
}

/** Loads one landed snapshot response into its state table. Returns the rows loaded. */
export async function loadSnapshot(db: Db, file: string, e: ManifestEntry): Promise<number> {
  const endpoint = e.endpoint === 'groupPolicyAssignments' ? 'roleManagementPolicyAssignments' : e.endpoint;
  const loader = endpoint ? (LOADERS[endpoint] ?? PLANE_LOADERS[endpoint]) : undefined;
  if (!loader || !e.observedAt) return 0;
  if (e.records === 0) return 0;
  const tenant = e.tenantId ? sqlString(e.tenantId) : 'NULL::VARCHAR';
  await db.run(loader(file, `${sqlString(e.observedAt)}::TIMESTAMPTZ`, sqlString(e.landedFile), tenant));
  if (e.tenantId) await stampTenant(db, e);
  // Role names: from the role definitions snapshot, else from what the audit log called the role.
  await db.run(`UPDATE role_assignments SET role_name = n.role_name FROM (
      SELECT role_id, arg_max(role_name, observed_at) AS role_name FROM role_definitions GROUP BY role_id
      UNION ALL SELECT role_id, any_value(role_name) FROM audit_events WHERE role_id IS NOT NULL AND role_name IS NOT NULL
        AND role_id NOT IN (SELECT role_id FROM role_definitions) GROUP BY role_id) n
    WHERE role_assignments.source = 'snapshot' AND role_assignments.role_name IS NULL AND role_assignments.role_id = n.role_id`);
  return e.records;
}
