-- id: approval_rate_by_role
-- title: Approval rate by role
-- description: Decided activation requests per role. A role whose denial rate reaches the flag with
--   at least the minimum number of decisions is flagged: people keep asking for a role they are
--   refused, a sign its eligibility is scoped wrong.
-- parameters:
--   from TIMESTAMPTZ: period start (inclusive), by request time
--   to TIMESTAMPTZ: period end (exclusive)
--   denial_rate_flag DOUBLE: denial rate at or above which a role is flagged
--   min_decisions INTEGER: decisions a role needs before it can be flagged
-- columns:
--   plane, role_id, role_name
--   approved, denied: requests by final decision
--   approval_rate: approved / (approved + denied)
--   denial_rate: denied / (approved + denied)
--   flagged: denial_rate >= denial_rate_flag and approved + denied >= min_decisions
-- thresholds:
--   denial_rate_flag: approvals.denialRateFlag (0.2)
--   min_decisions: approvals.minDecisions (5)
WITH d AS (
  SELECT plane, role_id, any_value(role_name) AS role_name,
         count(*) FILTER (WHERE decision = 'approved') AS approved,
         count(*) FILTER (WHERE decision = 'denied') AS denied
  FROM pim_requests
  WHERE approval_required AND request_type = 'activate' AND decision IN ('approved', 'denied')
    AND requested_at >= $from::TIMESTAMPTZ AND requested_at < $to::TIMESTAMPTZ
  GROUP BY plane, role_id
)
SELECT plane, role_id, role_name, approved, denied,
       approved / (approved + denied) AS approval_rate,
       denied / (approved + denied) AS denial_rate,
       denied / (approved + denied) >= $denial_rate_flag::DOUBLE AND approved + denied >= $min_decisions::INTEGER AS flagged
FROM d
ORDER BY plane, role_id;
