-- id: approval_rate_by_approver
-- title: Decisions by approver
-- description: Each approver's activation decisions and how long requesters waited for them.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by request time
--   to TIMESTAMPTZ: period end (exclusive)
-- columns:
--   plane, approver_id, approver_upn
--   approved, denied: decisions made
--   approval_rate: approved / (approved + denied)
--   p50_wait_seconds: median time from request to this approver's decision
--   self_approvals: decisions on the approver's own request
SELECT plane, approver_id, any_value(approver_upn) AS approver_upn,
       count(*) FILTER (WHERE decision = 'approved') AS approved,
       count(*) FILTER (WHERE decision = 'denied') AS denied,
       count(*) FILTER (WHERE decision = 'approved') / count(*) AS approval_rate,
       quantile_cont((epoch_us(decided_at) - epoch_us(requested_at)) / 1e6, 0.5) AS p50_wait_seconds,
       count(*) FILTER (WHERE relation = 'self') AS self_approvals
FROM pim_approvals
WHERE request_type = 'activate' AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
GROUP BY plane, approver_id
ORDER BY plane, approved + denied DESC, approver_id;
