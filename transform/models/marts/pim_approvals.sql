-- pim_approvals: one row per approval decision (activation or extend/renew), with how the approver
-- relates to the requester: self (PIM forbids it: a finding), security_team (config), manager (the
-- requester's manager in the newest users snapshot), peer (eligible for the same role when deciding),
-- else unknown.
WITH team AS (SELECT unnest($security_team::VARCHAR[]) AS who),
managers AS (
  SELECT user_id, arg_max(manager_id, observed_at) AS manager_id FROM directory_users GROUP BY user_id
),
d AS (
  SELECT e.request_key, r.request_type, e.plane, e.event_id,
    e.actor_id AS approver_id, e.actor_upn AS approver_upn, e.actor_name AS approver_name,
    CASE WHEN e.step IN ('approved', 'extend_approved') THEN 'approved' ELSE 'denied' END AS decision,
    e.event_time AS decided_at, e.result_reason AS approver_justification,
    r.principal_id AS requester_id, r.principal_upn AS requester_upn, r.role_id, r.role_name, r.requested_at, e.tenant_id
  FROM int_pim_events e JOIN pim_requests r ON r.request_key = e.request_key AND r.tenant_id IS NOT DISTINCT FROM e.tenant_id
  WHERE e.step IN ('approved', 'denied', 'extend_approved', 'extend_denied')
)
SELECT d.*,
  CASE
    WHEN d.approver_id IS NOT NULL AND d.approver_id = d.requester_id THEN 'self'
    WHEN d.approver_id IN (SELECT who FROM team) OR d.approver_upn IN (SELECT who FROM team) THEN 'security_team'
    WHEN EXISTS (SELECT 1 FROM managers m WHERE m.user_id = d.requester_id AND m.manager_id = d.approver_id) THEN 'manager'
    WHEN EXISTS (SELECT 1 FROM role_assignments a WHERE a.kind = 'eligible' AND a.role_id = d.role_id
                   AND (a.principal_id = d.approver_id OR (a.principal_upn IS NOT NULL AND a.principal_upn = d.approver_upn))
                   AND coalesce(a.start_at, a.observed_at) <= d.decided_at
                   AND coalesce(a.removed_at, a.end_at, 'infinity'::TIMESTAMPTZ) > d.decided_at) THEN 'peer'
    ELSE 'unknown'
  END AS relation
FROM d
