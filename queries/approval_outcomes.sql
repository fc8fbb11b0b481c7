-- id: approval_outcomes
-- title: Approval outcomes
-- description: Approval-required requests by their final decision, per plane and request type
--   (activation, or extend/renew, reported apart). The rate is approved / (approved + denied);
--   expired (no decision in time), canceled and pending are counted beside it, not in it.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by request time
--   to TIMESTAMPTZ: period end (exclusive)
-- columns:
--   plane: entra_role, group or azure_resource
--   request_type: activate, extend or renew
--   requests: approval-required requests in the period
--   approved, denied, expired, canceled, pending: requests by final decision
--   approval_rate: approved / (approved + denied), NULL when neither
SELECT plane, request_type,
       count(*) AS requests,
       count(*) FILTER (WHERE decision = 'approved') AS approved,
       count(*) FILTER (WHERE decision = 'denied') AS denied,
       count(*) FILTER (WHERE decision = 'approval_expired') AS expired,
       count(*) FILTER (WHERE decision = 'canceled') AS canceled,
       count(*) FILTER (WHERE decision = 'pending') AS pending,
       count(*) FILTER (WHERE decision = 'approved')
         / nullif(count(*) FILTER (WHERE decision IN ('approved', 'denied')), 0) AS approval_rate
FROM pim_requests
WHERE approval_required AND request_type IN ('activate', 'extend', 'renew')
  AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
GROUP BY plane, request_type
ORDER BY plane, request_type;
