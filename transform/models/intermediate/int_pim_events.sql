-- int_pim_events: every PIM lifecycle record with its step and its request key.
-- Request key = RoleAssignmentRequestId, else the Request target's id (both resolved in audit_records),
-- else a keyless activation step is paired with the latest keyless request for the same
-- (tenant, plane, principal, role, scope) within the pairing window. Nothing pairs across tenants. correlationId is never a key:
-- it differs across PIM's asynchronous steps.
-- Core Directory role-membership records initiated by MS-PIM are companions of PIM's own records;
-- the same records by anyone else are assignments made outside PIM.
WITH base_all AS (
  SELECT a.event_id, a.event_time, a.activity, a.service, a.request_key AS raw_key,
    m.step, m.request_type, m.kind, m.permanent,
    CASE lower(a.category) WHEN 'groupmanagement' THEN 'group' WHEN 'resourcemanagement' THEN 'azure_resource' ELSE 'entra_role' END AS plane,
    -- A self-service record that lists only the Role target belongs to its initiator; an administrator's
    -- record about someone else never does (those steps are not in the list).
    coalesce(a.principal_id, CASE WHEN a.principal_id IS NULL AND a.actor_type = 'user' AND m.step IN ('act_requested', 'approval_requested',
      'canceled', 'activated', 'deact_requested', 'deactivated') THEN a.actor_id END) AS principal_id,
    coalesce(a.principal_upn, CASE WHEN a.principal_id IS NULL AND a.actor_type = 'user' AND m.step IN ('act_requested', 'approval_requested',
      'canceled', 'activated', 'deact_requested', 'deactivated') THEN a.actor_upn END) AS principal_upn,
    coalesce(a.principal_type, CASE WHEN a.principal_id IS NULL AND a.actor_type = 'user' AND a.actor_id IS NOT NULL AND m.step IN ('act_requested',
      'approval_requested', 'canceled', 'activated', 'deact_requested', 'deactivated') THEN 'user' END) AS principal_type,
    a.role_id, a.role_name, coalesce(a.scope_id, '') AS scope_id,
    a.actor_type, a.actor_id, a.actor_upn, a.actor_name, a.result_reason, a.details,
    a.tenant_id, a.source_kind, a.actor_ip, a.user_agent, a.actor_agent_type, a.principal_agent_type, a.via_group_id, a.via_group_name
  FROM audit_events a JOIN pim_activity_map m ON m.activity = a.activity
  WHERE a.service IN ('PIM', 'Privileged Identity Management') AND coalesce(a.result, 'success') <> 'failure'
  UNION ALL
  SELECT a.event_id, a.event_time, a.activity, a.service, a.request_key,
    CASE WHEN a.actor_name IN ('MS-PIM', 'MS-PIM-Fairfax') THEN 'companion'
         WHEN a.activity = 'Add member to role' THEN 'direct_add' ELSE 'direct_remove' END,
    NULL, 'active', true, 'entra_role',
    a.principal_id, a.principal_upn, a.principal_type, a.role_id, a.role_name, coalesce(a.scope_id, '/'),
    a.actor_type, a.actor_id, a.actor_upn, a.actor_name, a.result_reason, a.details,
    a.tenant_id, a.source_kind, a.actor_ip, a.user_agent, a.actor_agent_type, a.principal_agent_type, a.via_group_id, a.via_group_name
  FROM audit_events a
  WHERE a.service = 'Core Directory' AND a.activity IN ('Add member to role', 'Remove member from role')
    AND coalesce(a.result, 'success') <> 'failure'
),
-- The detail values are read here, once (the keys lowered once per record), so the rows carried
-- through pairing are narrow.
base AS (
  SELECT * EXCLUDE (details, detail_keys),
    coalesce(nullif(pim_detail_at(details, detail_keys, 'Justification'), ''), result_reason) AS justification,
    nullif(pim_detail_at(details, detail_keys, 'TicketNumber'), '') AS ticket_number,
    nullif(pim_detail_at(details, detail_keys, 'TicketSystem'), '') AS ticket_system,
    lower(pim_detail_at(details, detail_keys, 'IsAuthenticatedWithMfa')) = 'true' AS mfa_flag,
    lower(pim_detail_at(details, detail_keys, 'IsActivationRequireApproval')) = 'true' AS approval_flag,
    TRY_CAST(pim_detail_at(details, detail_keys, 'StartTime') AS TIMESTAMPTZ) AS start_time,
    TRY_CAST(pim_detail_at(details, detail_keys, 'ExpirationTime') AS TIMESTAMPTZ) AS expiration_time
  FROM (SELECT *, pim_detail_keys(details) AS detail_keys FROM base_all)
),
keyless_requests AS (
  SELECT event_id, event_time, tenant_id, plane, principal_id, role_id, scope_id FROM base WHERE raw_key IS NULL AND step = 'act_requested'
),
paired AS (
  SELECT b.event_id, b.tenant_id, r.event_id AS request_event_id, r.event_time AS request_time, b.event_time
  FROM (SELECT * FROM base WHERE raw_key IS NULL
          AND step IN ('approval_requested', 'approved', 'denied', 'approval_expired', 'canceled', 'activated')) b
  ASOF JOIN keyless_requests r
    ON b.tenant_id IS NOT DISTINCT FROM r.tenant_id AND b.plane = r.plane AND b.principal_id = r.principal_id AND b.role_id = r.role_id AND b.scope_id = r.scope_id
   AND b.event_time >= r.event_time
)
SELECT
  b.event_id, b.event_time, b.activity, b.service, b.step, b.request_type, b.kind, b.permanent, b.plane,
  coalesce(b.raw_key,
           CASE WHEN b.step = 'act_requested' THEN 'pair:' || b.event_id END,
           CASE WHEN p.request_time >= b.event_time - to_hours(CAST($pairing_window_hours AS BIGINT)) THEN 'pair:' || p.request_event_id END,
           'event:' || b.event_id) AS request_key,
  b.raw_key IS NOT NULL AS keyed,
  b.principal_id, b.principal_upn, b.principal_type, b.role_id, b.role_name, b.scope_id,
  b.actor_type, b.actor_id, b.actor_upn, b.actor_name,
  b.justification, b.ticket_number, b.ticket_system, b.mfa_flag, b.approval_flag, b.start_time, b.expiration_time,
  b.result_reason,
  b.tenant_id, b.source_kind, b.actor_ip, b.user_agent, b.actor_agent_type, b.principal_agent_type, b.via_group_id, b.via_group_name
FROM base b LEFT JOIN paired p ON p.event_id = b.event_id AND p.tenant_id IS NOT DISTINCT FROM b.tenant_id
