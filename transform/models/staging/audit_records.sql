-- audit_records: one staged shape → the canonical audit_events columns, plus the reason a line is
-- refused (NULL for a good record). Targets are chosen by type; the role is the template id.
-- Target types and detail keys are lowered once per record and looked up by position: one lambda
-- pass each instead of one per lookup (the staging transform's largest cost).
WITH k AS (
  SELECT *, list_transform(targets, t -> lower(t."type")) AS target_types, pim_detail_keys(details) AS detail_keys FROM staged
),
s AS (
  SELECT *,
    TRY_CAST(event_time_text AS TIMESTAMPTZ) AS event_time,
    targets[list_position(target_types, 'role')] AS role_t,
    coalesce(targets[least(list_position(target_types, 'user'), list_position(target_types, 'serviceprincipal'))],
             targets[list_position(target_types, 'group')]) AS principal_t,
    targets[list_position(target_types, 'request')] AS request_t,
    targets[list_position(target_types, 'group')] AS group_t,
    coalesce(initiated_by.app.displayName, initiated_by.app.appId, initiated_by.app.servicePrincipalId) IS NOT NULL AS by_app
  FROM k
)
SELECT
  line_no,
  CASE
    WHEN parse_error IS NOT NULL THEN parse_error
    WHEN activity IS NULL AND event_id IS NULL THEN 'not_an_audit_record'
    WHEN activity IS NULL THEN 'not_an_audit_record'
    WHEN event_id IS NULL THEN 'missing_id'
    WHEN event_time_text IS NULL THEN 'missing_time'
    WHEN event_time IS NULL THEN 'bad_time'
  END AS reject_reason,
  raw_line,
  event_id,
  -- Graph records carry no tenant column: the tid detail says it (else the landing file's tenant, at insert).
  lower(coalesce(tenant_id, nullif(pim_detail_at(details, detail_keys, 'tid'), ''))) AS tenant_id,
  event_time,
  activity,
  category,
  service,
  operation_type,
  coalesce(pim_detail_at(details, detail_keys, 'AuditType'), NULL) AS audit_type,
  CASE WHEN result = '0' THEN 'success' ELSE lower(result) END AS result,
  nullif(result_reason, '') AS result_reason,   -- an empty reason is no reason (CSV exports cannot tell them apart)
  lower(correlation_id) AS correlation_id,
  lower(coalesce(nullif(pim_detail_at(details, detail_keys, 'RoleAssignmentRequestId'), ''), request_t.id)) AS request_key,
  CASE
    WHEN by_app THEN 'app'
    WHEN initiated_by.user.displayName = 'Azure AD PIM' THEN 'system'
    WHEN coalesce(initiated_by.user.id, initiated_by.user.userPrincipalName) IS NOT NULL THEN 'user'
    WHEN identity IN ('MS-PIM', 'MS-PIM-Fairfax') THEN 'app'
    WHEN identity IS NOT NULL THEN 'user'
    ELSE 'unknown'
  END AS actor_type,
  lower(CASE WHEN by_app THEN initiated_by.app.servicePrincipalId ELSE initiated_by.user.id END) AS actor_id,
  lower(initiated_by.user.userPrincipalName) AS actor_upn,
  coalesce(initiated_by.app.displayName, initiated_by.user.displayName, identity) AS actor_name,
  lower(initiated_by.app.appId) AS actor_app_id,
  -- PIM request records leave ipAddress null and hold the requester's address in the ipaddr detail.
  coalesce(nullif(initiated_by.user.ipAddress, ''), nullif(pim_detail_at(details, detail_keys, 'ipaddr'), '')) AS actor_ip,
  lower(coalesce(nullif(pim_modified(principal_t, 'Role.TemplateId'), ''),
                 nullif(pim_detail_at(details, detail_keys, 'TemplateId'), ''),
                 nullif(pim_detail_at(details, detail_keys, 'RoleDefinitionOriginId'), ''),
                 role_t.id)) AS role_id,
  coalesce(nullif(pim_modified(principal_t, 'Role.DisplayName'), ''), role_t.displayName) AS role_name,
  lower(principal_t.id) AS principal_id,
  lower(principal_t.userPrincipalName) AS principal_upn,
  principal_t.displayName AS principal_name,
  CASE lower(principal_t."type") WHEN 'user' THEN 'user' WHEN 'serviceprincipal' THEN 'service_principal' WHEN 'group' THEN 'group' END AS principal_type,
  CASE lower(category)
    WHEN 'groupmanagement' THEN lower(list_filter(targets, t -> lower(t."type") = 'group')[-1].id)
    WHEN 'resourcemanagement' THEN lower(coalesce(pim_detail_at(details, detail_keys, 'ResourceOriginId'), targets[list_position(target_types, 'other')].id))
    ELSE '/'
  END AS scope_id,
  details,
  targets,
  nullif(pim_detail_at(details, detail_keys, 'User-Agent'), '') AS user_agent,
  CASE WHEN NOT by_app THEN initiated_by.user.agentType END AS actor_agent_type,
  principal_t.agentType AS principal_agent_type,
  -- A role held through a role-assignable group: the record lists the Group beside the User. In
  -- GroupManagement records the group is the scope (PIM for Groups), not a carrier.
  CASE WHEN lower(principal_t."type") IN ('user', 'serviceprincipal') AND lower(coalesce(category, '')) <> 'groupmanagement'
       THEN lower(group_t.id) END AS via_group_id,
  CASE WHEN lower(principal_t."type") IN ('user', 'serviceprincipal') AND lower(coalesce(category, '')) <> 'groupmanagement'
       THEN group_t.displayName END AS via_group_name
FROM s
