-- id: check_self_approval
-- title: Self-approval
-- description: An approver who approved their own request. PIM forbids it, so one in the log is
--   itself a finding.
-- severity: high
-- doc: docs/rules.md#self_approval
-- action: Remove the admin from the role's approvers, and review what they did with the role.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by decision time
--   to TIMESTAMPTZ: period end (exclusive)
SELECT 'high' AS severity, 'request' AS subject_type, request_key AS subject_id, coalesce(approver_upn, approver_id) AS subject_name,
       'self-approved' AS observed, 'approver ≠ requester' AS threshold,
       coalesce(approver_upn, approver_id) || ' approved their own request for ' || coalesce(role_name, role_id) || ' (request ' || request_key || ')' AS detail,
       decided_at AS first_seen, decided_at AS last_seen
FROM pim_approvals
WHERE decision = 'approved' AND relation = 'self' AND decided_at >= $from::TIMESTAMPTZ AND decided_at < $to::TIMESTAMPTZ
ORDER BY first_seen;
