-- pim_approvals: one row per approval decision (activation or extend/renew). relation is 'self'
-- when the approver is the requester; telling peers, managers and a security team apart needs the
-- directory snapshot and is 'unknown' until then.
CREATE OR REPLACE TABLE pim_approvals AS
SELECT e.request_key, r.request_type, e.plane, e.event_id,
  e.actor_id AS approver_id, e.actor_upn AS approver_upn, e.actor_name AS approver_name,
  CASE WHEN e.step IN ('approved', 'extend_approved') THEN 'approved' ELSE 'denied' END AS decision,
  e.event_time AS decided_at,
  e.result_reason AS approver_justification,
  r.principal_id AS requester_id, r.principal_upn AS requester_upn, r.role_id, r.role_name, r.requested_at,
  CASE WHEN e.actor_id IS NOT NULL AND e.actor_id = r.principal_id THEN 'self' ELSE 'unknown' END AS relation
FROM int_pim_events e JOIN pim_requests r USING (request_key)
WHERE e.step IN ('approved', 'denied', 'extend_approved', 'extend_denied');
