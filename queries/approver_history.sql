-- id: approver_history
-- title: Approver history
-- description: Every approval decision one person made in a window: whose request, which role,
--   after how long, and whether it was their own.
-- parameters:
--   approver VARCHAR: UPN or object id
--   from TIMESTAMPTZ: window start (inclusive), by decision time
--   to TIMESTAMPTZ: window end (exclusive)
-- columns:
--   decided_at, decision, requester_upn, role_name, request_type
--   wait_seconds: request to decision
--   relation: self or unknown
--   request_key
SELECT decided_at, decision, requester_upn, role_name, request_type,
       (epoch_us(decided_at) - epoch_us(requested_at)) / 1e6 AS wait_seconds, relation, request_key
FROM pim_approvals
WHERE (approver_id = lower($approver) OR approver_upn = lower($approver))
  AND decided_at >= $from::TIMESTAMPTZ AND decided_at < $to::TIMESTAMPTZ
ORDER BY decided_at;
